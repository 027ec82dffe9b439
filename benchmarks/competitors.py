"""The competitors of bench_rnn.py: each builds a zero-argument callable that runs one step.

Names: <impl>_<cell>. impl: torch (nn.LSTM/GRU/RNN, batch_first), flax (nn.RNN over a flax cell:
optlstm = OptimizedLSTMCell), fast (rnnjax.fast with the input projection hoisted: time-major x,
one [T*B, D] x [D, G*H] matmul, input bias added inside the loop), fastx (rnnjax.fast with the
projection inside the loop: `w_ih=`), ref (the hoisted version with the plain lax.scan + autodiff
references), rnnjax (rnnjax.layers.Recurrent with rnnjax.cells).
"""
import os
import time

import flax.linen as nn
import jax
import jax.numpy as jnp

from rnnjax import fast

try:
  import torch
  HAVE_TORCH = True
except ImportError:  # the JAX rows still run
  torch = None
  HAVE_TORCH = False

ALL = ["torch_lstm", "flax_optlstm", "flax_lstm", "fast_lstm", "fastx_lstm", "ref_lstm",
       "rnnjax_lstm", "cudnn_lstm", "torch_gru", "flax_gru", "fast_gru", "fastx_gru", "ref_gru",
       "rnnjax_gru",
       "torch_rnn", "rnnjax_rnn"]
# In the memory table of every run (and timed only when named in --competitors): the layer on
# the plain scan, with and without gradient checkpointing (remat).
MEMORY_ONLY = ["scan_lstm", "remat_lstm", "scan_gru", "remat_gru"]
GATES = {"lstm": 4, "gru": 3, "rnn": 1}


def family(name: str) -> str:
  """'fast_lstm' -> 'lstm'; flax_optlstm -> 'lstm'."""
  return next(f for f in ("lstm", "gru", "rnn") if name.endswith(f))


def torch_version():
  return torch.__version__ if HAVE_TORCH else None


def _inputs(dims, dtype=jnp.float32):
  batch, time_len, features, _ = dims
  return jax.random.normal(jax.random.key(0), (batch, time_len, features)).astype(dtype)


# -- JAX competitors: (params, apply(params, x) -> ys [B, T, H]) -------------------------------


def _flax(name, dims, dtype):
  hidden = dims[3]
  make = {"flax_optlstm": nn.OptimizedLSTMCell, "flax_lstm": nn.LSTMCell, "flax_gru": nn.GRUCell}
  model = nn.RNN(make[name](hidden, dtype=dtype, param_dtype=jnp.float32))
  return model.init(jax.random.key(1), _inputs(dims)), model.apply


def _rnnjax(name, dims, dtype):
  """rnnjax_*: the layer as users get it; scan_*: on the plain scan; remat_*: scan + remat."""
  from rnnjax import cells, layers  # noqa: PLC0415  (layers may not exist in old checkouts)
  make = {"lstm": cells.LSTMCell, "gru": cells.GRUCell, "rnn": cells.SimpleRNNCell}[family(name)]
  options = {"scan": dict(implementation="scan"), "cudnn": dict(implementation="cudnn"),
             "remat": dict(implementation="scan", remat=True)}.get(name.split("_")[0], {})
  layer = layers.Recurrent(make(hidden_size=dims[3], dtype=dtype), **options)
  return layer.init(jax.random.key(1), _inputs(dims)), layer.apply


def _hoisted(name, dims, dtype):
  """rnnjax.fast (or its reference) with the input projection hoisted out of the loop."""
  _, _, features, hidden = dims
  cell = family(name)
  width = GATES[cell] * hidden
  ks = jax.random.split(jax.random.key(1), 4)
  params = {"w_ih": jax.random.normal(ks[0], (features, width)) / features ** 0.5,
            "b_ih": jnp.zeros((width,)),
            "w_hh": jax.random.normal(ks[1], (hidden, width)) / hidden ** 0.5,
            "b_hh": jnp.zeros((width,))}
  lstm_fn = fast.lstm_recurrence if name.startswith("fast") else fast.lstm_recurrence_reference
  gru_fn = fast.gru_recurrence if name.startswith("fast") else fast.gru_recurrence_reference
  in_loop = name.startswith("fastx")

  def apply(p, x):
    batch, time_len, _ = x.shape
    p = jax.tree.map(lambda a: a.astype(dtype), p)
    x_tm = jnp.swapaxes(x.astype(dtype), 0, 1)                          # [T, B, D]
    kwargs = {"w_ih": p["w_ih"]} if in_loop else {}
    if not in_loop:
      x_tm = (x_tm.reshape(time_len * batch, features) @ p["w_ih"]).reshape(
          time_len, batch, width)                                         # [T, B, G*H]
    zeros = jnp.zeros((batch, hidden), dtype)
    valid = jnp.ones((time_len, batch), bool)
    if cell == "lstm":
      hs, _ = lstm_fn(x_tm, p["w_hh"], zeros, zeros, valid, bias=p["b_ih"] + p["b_hh"], **kwargs)
    else:
      hs, _ = gru_fn(x_tm, p["w_hh"], p["b_hh"], zeros, valid, bias=p["b_ih"], **kwargs)
    return jnp.swapaxes(hs, 0, 1)                                         # [B, T, H]

  return params, apply


def _jax_model(name, dims, dtype):
  if name.startswith("flax"):
    return _flax(name, dims, dtype)
  if name.startswith(("rnnjax", "scan", "remat", "cudnn")):
    return _rnnjax(name, dims, dtype)
  return _hoisted(name, dims, dtype)


def _jax_step(name, dims, mode, dtype):
  """The jitted function and its arguments: grad of sum(outputs) (train) or the outputs (infer)."""
  params, apply = _jax_model(name, dims, dtype)
  x = _inputs(dims)
  if mode == "train":
    fn = jax.grad(lambda p, x: apply(p, x).astype(jnp.float32).sum())
  else:
    fn = apply
  return jax.jit(fn), (params, x)


def jax_train_memory(name, dims):
  """MiB of one float32 training step: XLA's compiled memory analysis (temp + args + outputs)."""
  if name.startswith("torch"):
    return None
  fn, args = _jax_step(name, dims, "train", jnp.float32)
  stats = fn.lower(*args).compile().memory_analysis()
  total = (stats.temp_size_in_bytes + stats.argument_size_in_bytes + stats.output_size_in_bytes
           - stats.alias_size_in_bytes)
  return total / 2 ** 20


# -- torch competitors ------------------------------------------------------------------------


def torch_device() -> str:
  """'cuda' when JAX runs on a GPU and torch sees one (cuDNN RNNs then), else 'cpu'."""
  return "cuda" if jax.default_backend() == "gpu" and torch.cuda.is_available() else "cpu"


def _torch_model(name, dims):
  torch.manual_seed(0)
  torch.set_num_threads(os.cpu_count())
  batch, time_len, features, hidden = dims
  make = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[family(name)]
  device = torch_device()
  return (make(features, hidden, batch_first=True).to(device),
          torch.randn(batch, time_len, features, device=device))


def _torch_step(name, dims, mode):
  model, x = _torch_model(name, dims)
  sync = torch.cuda.synchronize if torch_device() == "cuda" else (lambda: None)

  def train():
    model.zero_grad(set_to_none=True)
    model(x)[0].sum().backward()
    sync()

  def infer():
    with torch.no_grad():
      model(x)
    sync()

  return train if mode == "train" else infer


# -- entry point --------------------------------------------------------------------------------


def build(name, dims, mode, dtype):
  """-> (step(), compile seconds or None), or None when the combination is not benchmarked."""
  if name not in ALL + MEMORY_ONLY:
    raise ValueError(f"unknown competitor {name!r}; choose from {ALL + MEMORY_ONLY}")
  if name.startswith("torch"):
    if not HAVE_TORCH or dtype != "float32":
      return None
    return _torch_step(name, dims, mode), None
  if name.startswith("flax") and family(name) == "rnn":
    return None
  if name.startswith("cudnn") and (jax.default_backend() != "gpu" or dtype != "float32"):
    return None
  fn, args = _jax_step(name, dims, mode, jnp.dtype(dtype))
  start = time.perf_counter()
  compiled = fn.lower(*args).compile()
  compile_s = time.perf_counter() - start
  return (lambda: jax.block_until_ready(compiled(*args))), compile_s
