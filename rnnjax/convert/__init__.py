"""Weights from PyTorch and Keras 3 into rnnjax, and back. Neither framework is imported.

The converters take numpy arrays, mappings and duck-typed objects (a torch module's
`.state_dict()`, `.mode`, `.num_layers`, `.bidirectional`, `.proj_size`, `.batch_first`; a
Keras layer's `.get_weights()`, `.units`, `.activation`, `.reset_after`, `.forward_layer`,
`.backward_layer`) and return numpy arrays.

  params = convert.from_torch(torch_lstm)                   # -> params of the matching layer
  layer, params = convert.layer_from_torch(torch_lstm, return_state=True)
  state, ys = layer.apply({"params": params}, xs, lengths)
  state = convert.to_torch(params)                          # {"weight_ih_l0": array, ...}
  torch_lstm.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
  keras_layer.set_weights(convert.to_keras(params))

| source | rnnjax cell |
|---|---|
| torch `nn.RNN` (tanh or relu) | `SimpleRNNCell(H, activation, recurrent_bias=True)` |
| torch `nn.LSTM`, also `proj_size=P` | `LSTMCell(H, proj_size=P, recurrent_bias=True)` |
| torch `nn.GRU` | `GRUCell(H, reset_after=True)` |
| torch `bias=False` | the same cells with zero biases |
| Keras `SimpleRNN` (tanh or relu) | `SimpleRNNCell(H, activation)` |
| Keras `LSTM` (any `unit_forget_bias`) | `LSTMCell(H)` |
| Keras `GRU(reset_after=True)` | `GRUCell(H, reset_after=True)`; bias [2, 3H]: input, recurrent |
| Keras `GRU(reset_after=False)` | `GRUCell(H, reset_after=False)` |
| Keras `use_bias=False` | the same cells with zero biases |

| source layout | rnnjax layer (params) |
|---|---|
| torch `num_layers=1`; one Keras layer | `Recurrent` (`{"cell": ...}`) |
| torch `bidirectional=True`; Keras `Bidirectional(layer, merge_mode)` | `Bidirectional` |
| torch `num_layers=L`; a list of Keras layers | `Stacked` (`stacked=True` forces it) |

Gate orders: LSTM i, f, g, o everywhere; GRU r, z, n in rnnjax and torch, z, r, h in Keras
(columns are permuted). Kernels are transposed from torch's [G*H, D] to rnnjax's [D, G*H];
Keras' are already [D, G*H]. The reverse direction: `to_torch` (a state dict with torch's key
names and order) and `to_keras` (the `get_weights()` list).

Round trips are exact: `to_torch(from_torch(m)) == m.state_dict()` and
`to_keras(from_keras(l)) == l.get_weights()`, bit for bit. torch's two biases stay two: the
LSTM and SimpleRNN cells get `recurrent_bias=True` (b_hh, added to the input bias);
`from_torch(..., recurrent_bias=False)` sums them into `input/bias` for plain cells instead.
Across frameworks: torch -> Keras sums LSTM/RNN biases; torch GRU <-> Keras GRU(reset_after=True).

Not supported (clear errors): Keras activations other than tanh (tanh or relu for SimpleRNN),
recurrent_activation other than sigmoid, Bidirectional(merge_mode=None), a standalone
go_backwards layer (for `layer_from_keras`), input `dropout` (unless ignore_dropout=True);
to torch: GRUCell(reset_after=False); to Keras: LSTM proj_size; either way: peepholes,
layer_norm, FlaxCell. Variable lengths: torch packed sequences and Keras masks (right-padded)
are rnnjax's `seq_lengths`; on masked steps a standalone Keras layer repeats its last output
where rnnjax outputs zeros (states and valid steps are equal).
"""
from rnnjax.convert.common import CellSpec
from rnnjax.convert.keras import from_keras, layer_from_keras, to_keras
from rnnjax.convert.torch import from_torch, layer_from_torch, to_torch

__all__ = ["CellSpec", "from_keras", "from_torch", "layer_from_keras", "layer_from_torch",
           "to_keras", "to_torch"]
