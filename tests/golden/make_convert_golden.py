r"""Writes tests/golden/convert/*.npz: torch and Keras 3 layers' weights, inputs and outputs.

  python3 -m venv /tmp/venv-convert
  /tmp/venv-convert/bin/pip install torch==2.13.0 keras jax numpy absl-py
  KERAS_BACKEND=jax /tmp/venv-convert/bin/python tests/golden/make_convert_golden.py

torch and Keras are used here only; `tests/test_convert.py` reads the files with numpy. Each file
holds one layer's weights exactly as the framework gives them (torch's state dict keys, Keras'
`get_weights()` list), all float32 as users have them; its settings; inputs with variable
lengths (torch packed sequences, Keras masks); and the outputs and final states, computed in
float64 by the framework from those float32 weights (so the goldens carry no float32 rounding).
Each case is seeded with its index. See tests/golden/README.md ("Converter goldens").
"""
import dataclasses
import os

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("JAX_ENABLE_X64", "1")   # Keras' float64 layers on the jax backend

from absl import app  # noqa: E402
from absl import logging  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import keras.src.backend.jax.numpy as keras_jax_numpy  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

# keras 3.15's jax backend computes tanh of float64 in float32 (its result_type(float64, float)
# is float32), so Keras' float64 layers were float32-accurate. Same function, input dtype kept:
keras_jax_numpy.tanh = lambda x: jnp.tanh(keras_jax_numpy.convert_to_tensor(x))

B, T, D, H, P = 3, 6, 5, 4, 3    # tiny, distinct: a swapped axis fails loudly
LENGTHS = (3, 6, 1)              # unsorted: exercises enforce_sorted=False
OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "convert")


@dataclasses.dataclass(frozen=True)
class TorchCase:
  name: str
  mode: str                       # "RNN_TANH" | "RNN_RELU" | "LSTM" | "GRU"
  num_layers: int = 1
  bidirectional: bool = False
  proj_size: int = 0
  bias: bool = True
  batch_first: bool = True
  initial_state: bool = False     # nonzero h0 (and c0)
  packed: bool = True             # pack_padded_sequence with LENGTHS


TORCH_CASES = (
    TorchCase("torch_rnn_tanh", "RNN_TANH", initial_state=True),
    TorchCase("torch_rnn_relu_2layer", "RNN_RELU", num_layers=2, batch_first=False, packed=False),
    TorchCase("torch_rnn_tanh_bi", "RNN_TANH", bidirectional=True),
    TorchCase("torch_lstm", "LSTM", initial_state=True),
    TorchCase("torch_lstm_proj", "LSTM", proj_size=P, initial_state=True),
    TorchCase("torch_lstm_proj_bi_2layer", "LSTM", num_layers=2, bidirectional=True, proj_size=P),
    TorchCase("torch_lstm_nobias_seqfirst", "LSTM", bias=False, batch_first=False),
    TorchCase("torch_gru", "GRU", initial_state=True),
    TorchCase("torch_gru_bi_2layer", "GRU", num_layers=2, bidirectional=True),
)


def _torch_module(case: TorchCase) -> torch.nn.RNNBase:
  kw = dict(input_size=D, hidden_size=H, num_layers=case.num_layers, bias=case.bias,
            bidirectional=case.bidirectional, batch_first=case.batch_first)
  if case.mode.startswith("RNN"):
    return torch.nn.RNN(nonlinearity=case.mode[4:].lower(), **kw)
  if case.mode == "LSTM":
    return torch.nn.LSTM(proj_size=case.proj_size, **kw)
  return torch.nn.GRU(**kw)


def make_torch_case(case: TorchCase, seed: int) -> dict[str, np.ndarray]:
  torch.manual_seed(seed)
  module = _torch_module(case)                                    # float32, as users have it
  state = {k: v.detach().numpy().copy() for k, v in module.state_dict().items()}
  x = torch.randn(B, T, D)                                        # batch-major, float32
  lengths = np.array(LENGTHS if case.packed else (T,) * B, np.int32)
  states = case.num_layers * (2 if case.bidirectional else 1)
  h0 = 0.5 * torch.randn(states, B, case.proj_size or H)
  c0 = 0.5 * torch.randn(states, B, H)
  module64 = module.double()
  x64 = x.double() if case.batch_first else x.double().transpose(0, 1)
  hx = None
  if case.initial_state:
    hx = (h0.double(), c0.double()) if case.mode == "LSTM" else h0.double()
  with torch.no_grad():
    if case.packed:
      x64 = torch.nn.utils.rnn.pack_padded_sequence(
          x64, torch.as_tensor(lengths), batch_first=case.batch_first, enforce_sorted=False)
    out, final = module64(x64, hx)
    if case.packed:
      out, _ = torch.nn.utils.rnn.pad_packed_sequence(out, batch_first=case.batch_first,
                                                      total_length=T)
  if not case.batch_first:
    out = out.transpose(0, 1)
  h_n, c_n = final if case.mode == "LSTM" else (final, None)
  arrays = {f"torch/{k}": v for k, v in state.items()}
  arrays.update({
      "framework": np.array("torch"), "torch_keys": np.array(list(state)),
      "mode": np.array(case.mode), "num_layers": np.array(case.num_layers),
      "bidirectional": np.array(case.bidirectional), "proj_size": np.array(case.proj_size),
      "bias": np.array(case.bias), "batch_first": np.array(case.batch_first),
      "hidden_size": np.array(H), "x": x.numpy(), "lengths": lengths,
      "output": out.numpy(), "h_n": h_n.numpy()})
  if c_n is not None:
    arrays["c_n"] = c_n.numpy()
  if case.initial_state:
    arrays["h0"] = h0.numpy()
    if case.mode == "LSTM":
      arrays["c0"] = c0.numpy()
  return arrays


@dataclasses.dataclass(frozen=True)
class KerasCase:
  name: str
  layers: tuple[dict, ...]        # keyword arguments of each stacked layer ("class": ...)
  masked: bool = True             # mask = step < LENGTHS
  initial_state: bool = False


def _rnn(cls, **kw):
  return dict({"class": cls, "units": H, "return_sequences": True}, **kw)


KERAS_CASES = (
    KerasCase("keras_simple_rnn", (_rnn("SimpleRNN"),)),
    KerasCase("keras_simple_rnn_relu", (_rnn("SimpleRNN", activation="relu"),), masked=False),
    KerasCase("keras_lstm", (_rnn("LSTM"),), initial_state=True),
    KerasCase("keras_lstm_nobias_last", (_rnn("LSTM", use_bias=False, return_sequences=False),)),
    KerasCase("keras_gru", (_rnn("GRU"),), initial_state=True),
    KerasCase("keras_gru_reset_before", (_rnn("GRU", reset_after=False),)),
    KerasCase("keras_bi_lstm", (dict(_rnn("LSTM"), merge_mode="concat", bidirectional=True),)),
    KerasCase("keras_bi_gru_reset_before_sum",
              (dict(_rnn("GRU", reset_after=False), merge_mode="sum", bidirectional=True),)),
    KerasCase("keras_bi_simple_rnn_ave",
              (dict(_rnn("SimpleRNN"), merge_mode="ave", bidirectional=True),)),
    KerasCase("keras_lstm_stack", (_rnn("LSTM"), _rnn("LSTM"))),
)
_META = ("class", "units", "activation", "recurrent_activation", "use_bias", "reset_after",
         "return_sequences", "go_backwards", "dropout", "recurrent_dropout")


def _keras_layer(kw: dict, dtype: str):
  kw = dict(kw)
  cls, bidirectional = kw.pop("class"), kw.pop("bidirectional", False)
  merge_mode = kw.pop("merge_mode", None)
  layer = getattr(keras.layers, cls)(return_state=True, dtype=dtype, **kw)
  if bidirectional:
    layer = keras.layers.Bidirectional(layer, merge_mode=merge_mode, dtype=dtype)
  return layer


def _meta(layer, prefix: str) -> dict[str, np.ndarray]:
  inner = layer.forward_layer if isinstance(layer, keras.layers.Bidirectional) else layer
  meta = {f"{prefix}/bidirectional": np.array(inner is not layer)}
  if inner is not layer:
    meta[f"{prefix}/merge_mode"] = np.array(layer.merge_mode)
  for name in _META:
    value = type(inner).__name__ if name == "class" else getattr(inner, name, None)
    if value is not None:
      value = getattr(value, "__name__", value)
      meta[f"{prefix}/{name}"] = np.array(value)
  return meta


def make_keras_case(case: KerasCase, seed: int) -> dict[str, np.ndarray]:
  rng = np.random.default_rng(seed)
  x = rng.normal(size=(B, T, D)).astype(np.float32)
  lengths = np.array(LENGTHS if case.masked else (T,) * B, np.int32)
  mask = np.arange(T)[None, :] < lengths[:, None]                 # [B, T]
  arrays = {"framework": np.array("keras"), "num_keras_layers": np.array(len(case.layers)),
            "x": x, "lengths": lengths}
  inputs, states = x.astype(np.float64), []
  for index, kw in enumerate(case.layers):
    layer32, layer64 = _keras_layer(kw, "float32"), _keras_layer(kw, "float64")
    layer32.build(inputs.shape)
    layer64.build(inputs.shape)
    weights = [rng.normal(0.0, 0.5, w.shape).astype(np.float32) for w in layer32.get_weights()]
    layer32.set_weights(weights)
    assert all(np.array_equal(a, b) for a, b in zip(layer32.get_weights(), weights))
    layer64.set_weights([w.astype(np.float64) for w in weights])
    initial = None
    if case.initial_state:
      initial = [0.5 * rng.normal(size=(B, H)) for _ in layer64.cell.state_size] if hasattr(
          layer64.cell.state_size, "__len__") else [0.5 * rng.normal(size=(B, H))]
      for j, s in enumerate(initial):
        arrays[f"initial_state/{j}"] = s.astype(np.float32)
      initial = [s.astype(np.float32).astype(np.float64) for s in initial]
    layer_mask = mask if case.masked else None
    result = layer64(inputs, mask=layer_mask, initial_state=initial)
    check = layer32(inputs.astype(np.float32), mask=layer_mask, initial_state=None if initial is
                    None else [s.astype(np.float32) for s in initial])
    for a, b in zip(result, check, strict=True):
      np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=0, atol=1e-5)
    assert all(np.asarray(a).dtype == np.float64 for a in result)
    inputs, layer_states = np.asarray(result[0]), [np.asarray(s) for s in result[1:]]
    states += layer_states
    arrays.update({f"keras/{index}/{j}": w for j, w in enumerate(weights)})
    arrays.update(_meta(layer32, f"meta/{index}"))
  arrays["output"] = inputs
  arrays.update({f"states/{j}": s for j, s in enumerate(states)})
  arrays["num_states"] = np.array(len(states))
  return arrays


def main(argv):
  out_dir = argv[1] if len(argv) > 1 else OUT_DIR
  os.makedirs(out_dir, exist_ok=True)
  logging.info("torch %s, keras %s (%s)", torch.__version__, keras.__version__,
               keras.backend.backend())
  total = 0
  cases = [(c, make_torch_case) for c in TORCH_CASES] + [(c, make_keras_case) for c in KERAS_CASES]
  for seed, (case, make) in enumerate(cases):
    path = os.path.join(out_dir, f"{case.name}.npz")
    np.savez_compressed(path, **make(case, seed))
    total += os.path.getsize(path)
    logging.info("wrote %s (%d bytes)", path, os.path.getsize(path))
  logging.info("%d files, %d bytes in all", len(cases), total)


if __name__ == "__main__":
  app.run(main)
