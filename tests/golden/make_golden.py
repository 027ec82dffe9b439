r"""Writes the PyTorch golden values in tests/golden/*.npz (see README.md there).

  pip install torch==2.13.0
  python tests/golden/make_golden.py

torch is used here only; rnnjax and its tests never import it. Everything runs in float64.
Weights are stored already converted to rnnjax's parameter layout, and the script checks,
before saving, that a NumPy transcription of rnnjax's equations on the converted weights
reproduces torch's outputs and final states (to 1e-10).
"""
import dataclasses
import os

from absl import app
from absl import logging
import numpy as np
import torch

B, T, D, H, P = 3, 6, 5, 4, 3   # tiny, distinct: a swapped axis fails loudly
PACKED_LENGTHS = (3, 6, 1)      # unsorted on purpose: exercises enforce_sorted=False
GOLDEN_DIR = os.path.dirname(os.path.abspath(__file__))


@dataclasses.dataclass(frozen=True)
class Case:
  name: str
  cell: str                    # "rnn_tanh" | "rnn_relu" | "lstm" | "gru"
  num_layers: int = 1
  bidirectional: bool = False
  proj_size: int = 0
  initial_state: bool = False  # nonzero h0 (and c0) instead of torch's zeros
  packed: bool = False         # pack_padded_sequence with PACKED_LENGTHS


CASES = (
    Case("rnn_tanh", "rnn_tanh", initial_state=True),
    Case("rnn_relu", "rnn_relu"),
    Case("lstm", "lstm", initial_state=True),
    Case("lstm_proj", "lstm", proj_size=P, initial_state=True),
    Case("gru", "gru", initial_state=True),
    Case("lstm_bi_2layer", "lstm", num_layers=2, bidirectional=True),
    Case("gru_bi_2layer", "gru", num_layers=2, bidirectional=True),
    Case("packed_lstm_bi", "lstm", bidirectional=True, packed=True),
    Case("packed_gru", "gru", initial_state=True, packed=True),
    Case("packed_rnn_tanh", "rnn_tanh", packed=True),
)


def _torch_module(case: Case) -> torch.nn.RNNBase:
  kw = dict(input_size=D, hidden_size=H, num_layers=case.num_layers,
            bidirectional=case.bidirectional, batch_first=True, dtype=torch.float64)
  if case.cell.startswith("rnn"):
    return torch.nn.RNN(nonlinearity=case.cell[4:], **kw)
  if case.cell == "lstm":
    return torch.nn.LSTM(proj_size=case.proj_size, **kw)
  return torch.nn.GRU(**kw)


def _run_torch(module, case, x, lengths, hx):
  """x: [B, T, D] -> (outputs [B, T, H*dirs], h_n [L*dirs, B, H|P], c_n or None)."""
  with torch.no_grad():
    if case.packed:
      packed = torch.nn.utils.rnn.pack_padded_sequence(
          x, torch.as_tensor(lengths), batch_first=True, enforce_sorted=False)
      out, state = module(packed, hx)
      out, _ = torch.nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=T)
    else:
      out, state = module(x, hx)
  h_n, c_n = state if isinstance(state, tuple) else (state, None)
  return out.numpy(), h_n.numpy(), None if c_n is None else c_n.numpy()


def _convert(module, case) -> dict[str, np.ndarray]:
  """torch weights -> {"layer{l}/{forward|backward}/<rnnjax param path>": array}."""
  params = {}
  dirs = ("forward", "backward") if case.bidirectional else ("forward",)
  for layer in range(case.num_layers):
    for d, direction in enumerate(dirs):
      sfx = f"l{layer}" + ("_reverse" if d else "")
      get = lambda n: getattr(module, f"{n}_{sfx}").detach().numpy()  # noqa: E731
      pre = f"layer{layer}/{direction}/"
      params[pre + "input/kernel"] = get("weight_ih").T          # [D_in, G*H]
      params[pre + "recurrent_kernel"] = get("weight_hh").T      # [H|P, G*H]
      if case.cell == "gru":                                     # b_hn sits inside r * (.)
        params[pre + "input/bias"] = get("bias_ih")              # [3H]
        params[pre + "recurrent_bias"] = get("bias_hh")          # [3H]
      else:
        params[pre + "input/bias"] = get("bias_ih") + get("bias_hh")   # [G*H]
      if case.proj_size:
        params[pre + "projection_kernel"] = get("weight_hr").T   # [H, P]
  return params


# ---- NumPy transcription of rnnjax's equations (self-check of the converted weights) ----

def _sigmoid(v):
  return 1.0 / (1.0 + np.exp(-v))


def _step(cell, p, h, c, x_t):
  """One step on [B, *] arrays with converted params p (dict keyed by rnnjax path)."""
  gx = x_t @ p["input/kernel"] + p["input/bias"]                 # [B, G*H]
  if cell.startswith("rnn"):
    z = gx + h @ p["recurrent_kernel"]
    return (np.tanh(z) if cell == "rnn_tanh" else np.maximum(z, 0.0)), c
  if cell == "gru":
    gh = h @ p["recurrent_kernel"] + p["recurrent_bias"]         # [B, 3H]
    r = _sigmoid(gx[:, :H] + gh[:, :H])
    u = _sigmoid(gx[:, H:2 * H] + gh[:, H:2 * H])
    n = np.tanh(gx[:, 2 * H:] + r * gh[:, 2 * H:])
    return (1.0 - u) * n + u * h, c
  i, f, g, o = np.split(gx + h @ p["recurrent_kernel"], 4, axis=-1)   # each [B, H]
  c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
  h = _sigmoid(o) * np.tanh(c)
  if "projection_kernel" in p:
    h = h @ p["projection_kernel"]                               # [B, P]
  return h, c


def _reverse_padded(xs, lengths):
  """Reverses the first lengths[b] steps of each row of [B, T, ...]; the rest is kept."""
  out = xs.copy()
  for b, n in enumerate(lengths):
    out[b, :n] = xs[b, :n][::-1]
  return out


def _run_direction(cell, p, xs, lengths, h, c, reverse):
  if reverse:
    xs = _reverse_padded(xs, lengths)
  hs = np.zeros(xs.shape[:2] + h.shape[-1:])                     # [B, T, H|P]
  for t in range(xs.shape[1]):
    valid = (t < np.asarray(lengths))[:, None]                   # [B, 1]
    h_new, c_new = _step(cell, p, h, c, xs[:, t])
    h = np.where(valid, h_new, h)
    c = np.where(valid, c_new, c) if c is not None else None
    hs[:, t] = np.where(valid, h_new, 0.0)
  return (_reverse_padded(hs, lengths) if reverse else hs), h, c


def _run_numpy(case, params, x, lengths, h0, c0):
  dirs = ("forward", "backward") if case.bidirectional else ("forward",)
  hs_n, cs_n, inputs = [], [], x
  for layer in range(case.num_layers):
    outs = []
    for d, direction in enumerate(dirs):
      k = layer * len(dirs) + d
      pre = f"layer{layer}/{direction}/"
      p = {n[len(pre):]: v for n, v in params.items() if n.startswith(pre)}
      c = None if c0 is None else c0[k]
      out, h, c = _run_direction(case.cell, p, inputs, lengths, h0[k], c, reverse=d == 1)
      outs.append(out)
      hs_n.append(h)
      cs_n.append(c)
    inputs = np.concatenate(outs, axis=-1)                       # [B, T, H*dirs]
  return inputs, np.stack(hs_n), None if c0 is None else np.stack(cs_n)


def make_case(case: Case, seed: int) -> dict[str, np.ndarray]:
  torch.manual_seed(seed)
  module = _torch_module(case)
  num_states = case.num_layers * (2 if case.bidirectional else 1)
  x = torch.randn(B, T, D, dtype=torch.float64)
  lengths = np.array(PACKED_LENGTHS if case.packed else (T,) * B, np.int32)
  h_size = case.proj_size or H
  h0 = 0.5 * torch.randn(num_states, B, h_size, dtype=torch.float64)
  c0 = 0.5 * torch.randn(num_states, B, H, dtype=torch.float64)
  if not case.initial_state:
    h0, c0 = torch.zeros_like(h0), torch.zeros_like(c0)
  hx = (h0, c0) if case.cell == "lstm" else h0
  out, h_n, c_n = _run_torch(module, case, x, lengths, hx if case.initial_state else None)

  params = _convert(module, case)
  np_out, np_h, np_c = _run_numpy(case, params, x.numpy(), lengths, h0.numpy(),
                                  c0.numpy() if case.cell == "lstm" else None)
  np.testing.assert_allclose(np_out, out, rtol=0, atol=1e-10, err_msg=case.name)
  np.testing.assert_allclose(np_h, h_n, rtol=0, atol=1e-10, err_msg=case.name)
  if c_n is not None:
    np.testing.assert_allclose(np_c, c_n, rtol=0, atol=1e-10, err_msg=case.name)
  if case.packed:   # torch pads with exact zeros past each length
    mask = np.arange(T)[None, :] < lengths[:, None]
    assert not np.any(out[~mask]), case.name

  arrays = {
      "cell": np.array(case.cell), "num_layers": np.array(case.num_layers, np.int32),
      "bidirectional": np.array(case.bidirectional), "proj_size": np.array(case.proj_size, np.int32),
      "packed": np.array(case.packed),
      "x": x.numpy(), "lengths": lengths, "output": out, "h_n": h_n,
  }
  if case.initial_state:
    arrays["h0"] = h0.numpy()
    if case.cell == "lstm":
      arrays["c0"] = c0.numpy()
  if c_n is not None:
    arrays["c_n"] = c_n
  arrays.update(params)
  return arrays


def main(argv):
  out_dir = argv[1] if len(argv) > 1 else GOLDEN_DIR
  logging.info("torch %s", torch.__version__)
  for seed, case in enumerate(CASES):
    arrays = make_case(case, seed)
    path = os.path.join(out_dir, f"{case.name}.npz")
    np.savez_compressed(path, **arrays)
    logging.info("wrote %s (%d bytes, %d arrays)", path, os.path.getsize(path), len(arrays))


if __name__ == "__main__":
  app.run(main)
