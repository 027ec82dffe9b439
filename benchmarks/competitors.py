"""The competitors of bench_rnn.py and how each builds a zero-argument function running one step.

Names are <impl>_<cell>, cell in lstm / gru / rnn:
  rnnjax  rnnjax.layers.Recurrent(rnnjax.cells.<Cell>(H)), implementation="auto" (what users get)
  scan    the same layer with implementation="scan" (lax.scan + autodiff, the reference path)
  remat   scan with remat=True (memory table only unless named in --competitors)
  cudnn   the same layer with implementation="cudnn" (GPU, float32 LSTM only)
  pallas  the same layer with implementation="pallas" (the persistent Pallas kernels; GPU/TPU)
  pair    step mode only: the headline classifier with implementation="fused_pair" (both
          directions in one loop), against rnnjax_* (two loops, "auto")
  flax    flax.linen.nn.RNN over OptimizedLSTMCell (flax_optlstm), LSTMCell, GRUCell
  keras   Keras 3 on its JAX backend: keras.layers.LSTM / GRU(H, return_sequences=True)
  torch   torch.nn.LSTM / GRU / RNN (torch_competitors.py; in a torch process of its own)

Modes (see bench_rnn.py): train, infer, and step, the full training step of the headline
classifier: rnnjax.models.build("bilstm" | "bigru", num_classes=6, hidden_size=H) trained by
rnnjax.train.train_step (softmax cross-entropy, Adam 1e-3, jitted with the state donated)
against torch_competitors.Classifier with torch.optim.Adam.
"""
from __future__ import annotations

import functools
import importlib.util
import os
import time

ALL = ["torch_lstm", "flax_optlstm", "flax_lstm", "keras_lstm", "rnnjax_lstm", "scan_lstm",
       "cudnn_lstm", "pallas_lstm", "torch_gru", "flax_gru", "keras_gru", "rnnjax_gru",
       "scan_gru", "pallas_gru", "pair_lstm", "pair_gru",
       "torch_rnn", "rnnjax_rnn", "scan_rnn"]
# In the memory table of every run (and timed only when named in --competitors).
MEMORY_ONLY = ["remat_lstm", "remat_gru"]
PACKAGES = {"torch": "torch", "keras": "keras"}   # competitor prefix -> package it needs
STEP_CLASSES = 6


def family(name: str) -> str:
  """'rnnjax_lstm' -> 'lstm'; 'flax_optlstm' -> 'lstm'."""
  return next(f for f in ("lstm", "gru", "rnn") if name.endswith(f))


def impl(name: str) -> str:
  """'rnnjax_lstm' -> 'rnnjax'."""
  return name.split("_")[0]


def check_name(name: str) -> None:
  if name not in ALL + MEMORY_ONLY:
    raise ValueError(f"unknown competitor {name!r}; choose from {ALL + MEMORY_ONLY}")


def missing(name: str) -> str | None:
  """Why `name` cannot run in this environment (a package is not installed), or None."""
  package = PACKAGES.get(impl(name))
  if package and importlib.util.find_spec(package) is None:
    return f"{package} is not installed (pip install {package})"
  return None


def applies(name: str, mode: str, dtype: str, backend: str) -> bool:
  """Whether the (competitor, mode, dtype) combination is benchmarked at all."""
  kind, cell = impl(name), family(name)
  if mode == "step":
    return kind in ("rnnjax", "pair", "torch") and cell != "rnn" and dtype == "float32"
  if kind == "pair":
    return False
  if kind == "torch":
    return dtype == "float32"
  if kind == "cudnn":
    return backend == "gpu" and dtype == "float32" and cell == "lstm"
  if kind == "pallas":
    return backend in ("gpu", "tpu")
  return not (kind in ("flax", "keras") and cell == "rnn")


def _inputs(dims):
  import jax  # noqa: PLC0415
  batch, time_len, features, _ = dims
  return jax.random.normal(jax.random.key(0), (batch, time_len, features))


# -- JAX competitors: (params, apply(params, x [B, T, D]) -> ys [B, T, H]) ---------------------


def _flax(name, dims, dtype):
  import flax.linen as nn  # noqa: PLC0415
  import jax  # noqa: PLC0415
  import jax.numpy as jnp  # noqa: PLC0415
  make = {"flax_optlstm": nn.OptimizedLSTMCell, "flax_lstm": nn.LSTMCell, "flax_gru": nn.GRUCell}
  model = nn.RNN(make[name](dims[3], dtype=dtype, param_dtype=jnp.float32))
  return jax.jit(model.init)(jax.random.key(1), _inputs(dims)), model.apply


def _rnnjax(name, dims, dtype):
  import jax  # noqa: PLC0415
  from rnnjax import cells, layers  # noqa: PLC0415
  make = {"lstm": cells.LSTMCell, "gru": cells.GRUCell, "rnn": cells.SimpleRNNCell}[family(name)]
  options = {"rnnjax": dict(implementation="auto"), "scan": dict(implementation="scan"),
             "cudnn": dict(implementation="cudnn"), "pallas": dict(implementation="pallas"),
             "remat": dict(implementation="scan", remat=True)}[impl(name)]
  layer = layers.Recurrent(make(hidden_size=dims[3], dtype=dtype), **options)
  return jax.jit(layer.init)(jax.random.key(1), _inputs(dims)), layer.apply


def _keras(name, dims, dtype):
  """Keras 3 on JAX, called through its stateless API (what keras' own JAX trainer jits)."""
  os.environ["KERAS_BACKEND"] = "jax"      # read once, when keras is first imported
  import keras  # noqa: PLC0415
  if keras.backend.backend() != "jax":
    raise RuntimeError(f"keras runs on {keras.backend.backend()!r}, not JAX: keras was "
                       "imported before with another KERAS_BACKEND")
  make = {"lstm": keras.layers.LSTM, "gru": keras.layers.GRU}[family(name)]
  policy = "mixed_bfloat16" if dtype == "bfloat16" else "float32"  # float32 weights either way
  # In a model, as keras' JAX trainer calls it: layer.__call__ then applies the policy's
  # autocast (stateless_call on the bare layer would not).
  model = keras.Sequential([keras.Input(dims[1:3]),
                            make(dims[3], return_sequences=True, dtype=policy)])
  fixed = [v.value for v in model.non_trainable_variables]        # the dropout seed state

  def apply(params, x):
    return model.stateless_call(params, fixed, x)[0]

  return [v.value for v in model.trainable_variables], apply


def _jax_step(name, dims, mode, dtype):
  """The jitted function and its arguments: grad of sum(outputs) (train) or the outputs (infer)."""
  import jax  # noqa: PLC0415
  import jax.numpy as jnp  # noqa: PLC0415
  build_model = {"flax": _flax, "keras": _keras}.get(impl(name), _rnnjax)
  params, apply = build_model(name, dims, jnp.dtype(dtype) if impl(name) != "keras" else dtype)
  x = _inputs(dims)
  if mode == "train":
    return jax.jit(jax.grad(lambda p, x: apply(p, x).astype(jnp.float32).sum())), (params, x)
  return jax.jit(apply), (params, x)


def _rnnjax_model_step(name, dims):
  """The classifier's training step through rnnjax's public API; -> (step(), compile s)."""
  import jax  # noqa: PLC0415
  import jax.numpy as jnp  # noqa: PLC0415
  from rnnjax import models, train  # noqa: PLC0415
  batch_size, time_len, _, hidden = dims
  model = models.build("bi" + family(name), num_classes=STEP_CLASSES, hidden_size=hidden,
                       implementation="fused_pair" if impl(name) == "pair" else "auto")
  batch = {"inputs": _inputs(dims), "lengths": jnp.full((batch_size,), time_len, jnp.int32),
           "labels": jax.random.randint(jax.random.key(2), (batch_size,), 0, STEP_CLASSES)}
  tx = train.make_optimizer("adam", 1e-3)
  state = jax.jit(lambda key, b: train.create_train_state(model, key, b, tx))(
      jax.random.key(1), batch)
  key = jax.random.key(3)
  step = jax.jit(functools.partial(train.train_step, loss="softmax_cross_entropy"),
                 donate_argnums=0)
  start = time.perf_counter()
  compiled = step.lower(state, batch, key).compile()
  compile_s = time.perf_counter() - start
  holder = {"state": state}

  def run():
    holder["state"], sums = compiled(holder["state"], batch, key)
    jax.block_until_ready(sums)

  return run, compile_s


def jax_train_memory(name, dims):
  """MiB of one float32 training step: XLA's compiled memory analysis (temp + args + outputs)."""
  fn, args = _jax_step(name, dims, "train", "float32")
  stats = fn.lower(*args).compile().memory_analysis()
  total = (stats.temp_size_in_bytes + stats.argument_size_in_bytes + stats.output_size_in_bytes
           - stats.alias_size_in_bytes)
  return total / 2 ** 20


def build_jax(name, dims, mode, dtype):
  """-> (step(), compile seconds) for a JAX competitor (rnnjax, scan, remat, cudnn, flax,
  keras) that `applies` to (mode, dtype)."""
  import jax  # noqa: PLC0415
  if mode == "step":
    return _rnnjax_model_step(name, dims)
  fn, args = _jax_step(name, dims, mode, dtype)
  start = time.perf_counter()
  compiled = fn.lower(*args).compile()
  compile_s = time.perf_counter() - start
  return (lambda: jax.block_until_ready(compiled(*args))), compile_s
