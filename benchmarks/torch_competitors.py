"""The PyTorch competitors: nn.LSTM / nn.GRU / nn.RNN steps, and the classifier training step.

Imported only in a torch process of its own (worker.py) or by torch_memory.py, never beside JAX.

  train: zero_grad, forward, backward of sum(outputs [B, T, H]) (gradients w.r.t. parameters).
  infer: the forward pass under `no_grad`.
  step:  the headline model's full training step: a bidirectional nn.LSTM (or nn.GRU) [B, T, D]
         -> the final hidden state of each direction, concatenated [B, 2H] -> Linear(2H, C) ->
         softmax cross-entropy (mean over the batch) -> backward -> Adam(lr 1e-3) update; plus
         the number of correct predictions, as rnnjax.train.train_step also returns it.
"""
from __future__ import annotations

import torch

MODULES = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}
STEP_CLASSES = 6


def _family(name: str) -> str:
  return next(f for f in ("lstm", "gru", "rnn") if name.endswith(f))


def _device(requested: str) -> str:
  return "cuda" if requested == "cuda" and torch.cuda.is_available() else "cpu"


def _sync(device: str):
  return torch.cuda.synchronize if device == "cuda" else (lambda: None)


class Classifier(torch.nn.Module):
  """Bidirectional recurrent layer -> concat of both directions' final h [B, 2H] -> Linear."""

  def __init__(self, family: str, features: int, hidden: int, classes: int):
    super().__init__()
    self.rnn = MODULES[family](features, hidden, batch_first=True, bidirectional=True)
    self.head = torch.nn.Linear(2 * hidden, classes)

  def forward(self, x):                                                # x [B, T, D]
    _, state = self.rnn(x)
    h_n = state[0] if isinstance(state, tuple) else state              # [2, B, H]
    return self.head(torch.cat([h_n[0], h_n[1]], dim=-1))              # [B, C]


def _step(family: str, dims, device: str):
  batch, time_len, features, hidden = dims
  model = Classifier(family, features, hidden, STEP_CLASSES).to(device)
  opt = torch.optim.Adam(model.parameters(), lr=1e-3)
  x = torch.randn(batch, time_len, features, device=device)
  y = torch.randint(0, STEP_CLASSES, (batch,), device=device)
  loss_fn, sync = torch.nn.CrossEntropyLoss(), _sync(device)

  def step():
    opt.zero_grad(set_to_none=True)
    logits = model(x)
    loss_fn(logits, y).backward()
    opt.step()
    (logits.argmax(-1) == y).sum()
    sync()

  return step


def build(name: str, dims, mode: str, device: str = "cpu"):
  """-> a zero-argument step function for competitor `name` (torch_lstm, ...) in `mode`."""
  torch.manual_seed(0)
  device = _device(device)
  family = _family(name)
  if mode == "step":
    if family == "rnn":
      return None
    return _step(family, dims, device)
  batch, time_len, features, hidden = dims
  model = MODULES[family](features, hidden, batch_first=True).to(device)
  x = torch.randn(batch, time_len, features, device=device)
  sync = _sync(device)

  def train():
    model.zero_grad(set_to_none=True)
    model(x)[0].sum().backward()
    sync()

  def infer():
    with torch.no_grad():
      model(x)
    sync()

  return train if mode == "train" else infer


def matmul(size: int, device: str = "cpu"):
  """A float32 [size, size] x [size, size] matmul that blocks until done (for the peak)."""
  device = _device(device)
  a, b = (torch.randn(size, size, device=device) for _ in range(2))
  sync = _sync(device)

  def run():
    torch.mm(a, b)
    sync()

  return run
