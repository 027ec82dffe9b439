"""Plain numpy transcriptions of the cell equations (float64), independent of rnnjax's code.

Each `<cell>_reference(params, xs, lengths, h0=None)` runs every row on its own for exactly
lengths[b] steps and returns (outputs [B, T, H] zero past each length, final state per row).
params is the cell's Flax parameter dict as numpy arrays.
"""
import numpy as np


def sigmoid(x):
  return 1.0 / (1.0 + np.exp(-x))


def layer_norm(x, scale, bias=0.0, eps=1e-5):
  mean = x.mean(-1, keepdims=True)
  var = ((x - mean) ** 2).mean(-1, keepdims=True)
  return (x - mean) / np.sqrt(var + eps) * scale + bias


def per_gate_norm(x, scale, gates):
  """x [G*H], scale [G*H]: each gate's H slice normalised on its own."""
  return np.concatenate([layer_norm(p, s) for p, s in zip(np.split(x, gates), np.split(scale, gates))])


def input_term(p, x, gates):
  z = x @ p["input"]["kernel"]
  if "norm_scale" in p["input"]:
    z = per_gate_norm(z, p["input"]["norm_scale"], gates)
  return z + p["input"]["bias"]


def simple_step(p, x, state, activation="tanh"):
  (h,) = state
  pre = input_term(p, x, 1) + h @ p["recurrent_kernel"]
  h = np.tanh(pre) if activation == "tanh" else np.maximum(pre, 0.0)
  return (h,), h


def lstm_step(p, x, state, cell_clip=None, proj_clip=None):
  """cell_clip, proj_clip: TensorFlow's LSTMCell options (clip c, clip the projected h)."""
  h, c = state
  rec = h @ p["recurrent_kernel"]
  if "recurrent_norm_scale" in p:
    rec = per_gate_norm(rec, p["recurrent_norm_scale"], 4)
  i, f, g, o = np.split(input_term(p, x, 4) + rec, 4)
  if "peepholes" in p:
    i = i + p["peepholes"][0] * c
    f = f + p["peepholes"][1] * c
  c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
  if cell_clip is not None:
    c = np.clip(c, -cell_clip, cell_clip)
  if "peepholes" in p:
    o = o + p["peepholes"][2] * c
  c_out = layer_norm(c, p["cell_norm_scale"], p["cell_norm_bias"]) if "cell_norm_scale" in p else c
  h = sigmoid(o) * np.tanh(c_out)
  if "projection_kernel" in p:
    h = h @ p["projection_kernel"]
    if proj_clip is not None:
      h = np.clip(h, -proj_clip, proj_clip)
  return (h, c), h


def gru_step(p, x, state, h_mask=None):
  """h_mask (recurrent dropout) scales h where it enters the recurrent matmuls only."""
  (h,) = state
  hid = h.shape[-1]
  hm = h if h_mask is None else h * h_mask
  xr, xz, xn = np.split(input_term(p, x, 3), 3)
  u = p["recurrent_kernel"]
  scale = p.get("recurrent_norm_scale")
  if "recurrent_bias" in p:                       # reset after
    a = hm @ u
    if scale is not None:
      a = per_gate_norm(a, scale, 3)
    ar, az, an = np.split(a + p["recurrent_bias"], 3)
    r, z = sigmoid(xr + ar), sigmoid(xz + az)
    n = np.tanh(xn + r * an)
  else:                                           # reset before
    a = hm @ u[:, :2 * hid]
    if scale is not None:
      a = per_gate_norm(a, scale[:2 * hid], 2)
    ar, az = np.split(a, 2)
    r, z = sigmoid(xr + ar), sigmoid(xz + az)
    an = (r * hm) @ u[:, 2 * hid:]
    if scale is not None:
      an = layer_norm(an, scale[2 * hid:])
    n = np.tanh(xn + an)
  h = (1 - z) * n + z * h
  return (h,), h


def mgu_step(p, x, state):
  """Flax's MGUCell: f = sigmoid(x W_f + b_f + h U_f); n = tanh(x W_n + b_n + f * (h U_n + b_hn))
  (without reset gating: + h U_n); h' = (1 - f) n + f h."""
  (h,) = state
  xf, xn = np.split(input_term(p, x, 2), 2)
  af, an = np.split(h @ p["recurrent_kernel"], 2)
  f = sigmoid(xf + af)
  n = np.tanh(xn + (f * (an + p["recurrent_bias"]) if "recurrent_bias" in p else an))
  h = (1 - f) * n + f * h
  return (h,), h


def conv_same(x, kernel):
  """x [*S, D], kernel [*K, D, F] -> [*S, F]: cross-correlation, stride 1, zero padding of
  (k - 1) // 2 before each spatial axis and the rest after (XLA's "SAME")."""
  sizes = kernel.shape[:-2]
  pads = [((k - 1) // 2, k - 1 - (k - 1) // 2) for k in sizes] + [(0, 0)]
  padded = np.pad(x, pads)
  out = np.zeros(x.shape[:-1] + kernel.shape[-1:])
  for offset in np.ndindex(*sizes):
    window = padded[tuple(slice(o, o + s) for o, s in zip(offset, x.shape[:-1]))]
    out += window @ kernel[offset]
  return out


def convlstm_step(p, x, state):
  """ConvLSTM (Shi et al. 2015, no peepholes): the LSTM with convolutions; x [*S, D]."""
  h, c = state
  z = conv_same(x, p["input"]["kernel"]) + p["input"]["bias"] + conv_same(h, p["recurrent_kernel"])
  i, f, g, o = np.split(z, 4, axis=-1)
  c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
  h = sigmoid(o) * np.tanh(c)
  return (h, c), h


def positive(x):
  """Feng et al. 2024's positive activation: x + 1/2 for x >= 0, sigmoid(x) below."""
  return np.where(x >= 0, x + 0.5, sigmoid(x))


def mingru_step(p, x, state, log_space=False):
  """minGRU (Feng et al. 2024): z = sigmoid(k_z), h = (1 - z) h + z h~."""
  (h,) = state
  k_z, k_h = np.split(input_term(p, x, 2), 2)
  z = sigmoid(k_z)
  cand = positive(k_h) if log_space else k_h
  h = (1 - z) * h + z * cand
  return (h,), h


def minlstm_step(p, x, state, log_space=False):
  """minLSTM (Feng et al. 2024): f' = f / (f + i), i' = i / (f + i), h = f' h + i' h~."""
  (h,) = state
  k_f, k_i, k_h = np.split(input_term(p, x, 3), 3)
  f, i = sigmoid(k_f), sigmoid(k_i)
  cand = positive(k_h) if log_space else k_h
  h = f / (f + i) * h + i / (f + i) * cand
  return (h,), h


def lru_step(p, x, state):
  """LRU (Orvieto et al. 2023) in complex arithmetic: h = lambda h + gamma B x, y = Re(C h) + D x.
  state = (Re h, Im h); output_kernel holds [Re C^T; -Im C^T]."""
  n = p["nu_log"].shape[0]
  lam = np.exp(-np.exp(p["nu_log"]) + 1j * np.exp(p["theta_log"]))
  z = x @ p["input"]["kernel"] + p["input"]["bias"]
  h = state[0] + 1j * state[1]
  h = lam * h + np.exp(p["gamma_log"]) * (z[:n] + 1j * z[n:2 * n])
  c = p["output_kernel"][:n].T - 1j * p["output_kernel"][n:].T       # [H, N]
  y = (c @ h).real
  if "skip" in p:
    y = y + p["skip"] * x
  elif z.shape[0] > 2 * n:
    y = y + z[2 * n:]
  return (h.real, h.imag), y


def run(step, params, xs, lengths, state0, reverse=False):
  """Runs each row b alone over its first lengths[b] steps (reversed if asked); xs [B, T, ...],
  outputs [B, T, ...] as the step's."""
  batch, time = xs.shape[:2]
  outputs, finals = None, []
  for b in range(batch):
    state = tuple(s[b] for s in state0)
    steps = list(range(lengths[b]))
    for t in (reversed(steps) if reverse else steps):
      state, y = step(params, xs[b, t], state)
      if outputs is None:
        outputs = np.zeros((batch, time) + y.shape)
      outputs[b, t] = y
    finals.append(state)
  if outputs is None:
    outputs = np.zeros((batch, time) + state0[0].shape[1:])
  final = tuple(np.stack([f[i] for f in finals]) for i in range(len(state0)))
  return outputs, final


# The numpy transcription of every registered cell (rnnjax.cells.CELLS), by registry name, with
# the cell built as CELLS[name](hidden_size). tests/test_cell_contract.py runs the contract
# tests, this reference included, for every name in CELLS.
STEPS = {"rnn": simple_step, "lstm": lstm_step, "gru": gru_step, "mgu": mgu_step,
         "convlstm": convlstm_step, "mingru": mingru_step, "minlstm": minlstm_step,
         "lru": lru_step}
