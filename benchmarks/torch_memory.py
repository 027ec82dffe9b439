"""Peak memory of one PyTorch training step, measured in a fresh process that imports only torch.

  python benchmarks/torch_memory.py lstm 32 784 1 128     # prints MiB

Linux only: resets the peak-RSS mark (/proc/self/clear_refs), runs one forward + backward of
sum(outputs), and prints (peak RSS - RSS before the step) in MiB. It is the first step in the
process, so it includes one-time allocations (oneDNN primitives): an upper bound.
"""
import os
import re
import sys

import torch


def _status_kib(key: str) -> int:
  with open("/proc/self/status") as f:
    return int(re.search(rf"^{key}:\s+(\d+) kB", f.read(), re.M).group(1))


def train_step_peak_mib(cell: str, batch: int, time_len: int, features: int, hidden: int) -> float:
  torch.manual_seed(0)
  torch.set_num_threads(os.cpu_count())
  make = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[cell]
  model = make(features, hidden, batch_first=True)
  x = torch.randn(batch, time_len, features)
  with open("/proc/self/clear_refs", "w") as f:
    f.write("5")                                   # reset VmHWM to the current RSS
  before = _status_kib("VmRSS")
  model(x)[0].sum().backward()
  return (_status_kib("VmHWM") - before) / 1024


if __name__ == "__main__":
  print(train_step_peak_mib(sys.argv[1], *(int(v) for v in sys.argv[2:6])))
