"""Weights from PyTorch and Keras 3 into rnnjax, and back. Neither framework is imported.

The converters take numpy arrays, mappings and duck-typed objects (a torch module's
`.state_dict()`, `.mode`, `.num_layers`, `.bidirectional`, `.proj_size`, `.batch_first`; a
Keras layer's `.get_weights()`, `.units`, `.activation`, `.reset_after`, `.forward_layer`,
`.backward_layer`) and return numpy arrays.

  params = convert.from_torch(torch_lstm)                   # -> params of the matching layer
  layer, params = convert.layer_from_torch(torch_lstm, return_state=True)
  state, ys = layer.apply({"params": params}, xs, lengths)
  torch_lstm.load_state_dict({k: torch.from_numpy(v) for k, v in convert.to_torch(params).items()})
  keras_layer.set_weights(convert.to_keras(params))

| source | rnnjax cell | layer | notes |
|---|---|---|---|
| torch `nn.RNN(nonlinearity="tanh"/"relu")` | `SimpleRNNCell(H, activation, recurrent_bias=True)` | 1 |
| torch `nn.LSTM` (also `proj_size=P`) | `LSTMCell(H, proj_size, recurrent_bias=True)` | 1 |
| torch `nn.GRU` | `GRUCell(H, reset_after=True)` | 1 |
| torch `num_layers=L`, `bidirectional` | the cells above | 2 |
| torch `bias=False` | zero biases (`to_torch(bias=False)` checks they are still zero) | |
| Keras `SimpleRNN(activation="tanh"/"relu")` | `SimpleRNNCell(H, activation)` | 1 |
| Keras `LSTM` (`unit_forget_bias` either way) | `LSTMCell(H)` | 1 |
| Keras `GRU(reset_after=True)` | `GRUCell(H, reset_after=True)`: bias [2, 3H] -> `input/bias`, `recurrent_bias` | 1 |
| Keras `GRU(reset_after=False)` | `GRUCell(H, reset_after=False)` | 1 |
| Keras `Bidirectional(l, merge_mode)` | the cell of `l`, both directions | 2 |
| Keras `use_bias=False` | zero biases (`to_keras(use_bias=False)` checks them) | |
| a list of Keras layers | `Stacked` | 2 |

Layers: 1 = `Recurrent`, or `Bidirectional` / `Stacked` where the source is bidirectional or
has several layers; 2 = `Bidirectional` for one bidirectional layer, `Stacked` for several
(`stacked=True` asks for `Stacked` params always). Gate orders: LSTM i, f, g, o everywhere; GRU
r, z, n in rnnjax and torch, z, r, h in Keras (columns are permuted). Kernels are transposed
from torch's [G*H, D] to rnnjax's [D, G*H]; Keras' are already [D, G*H].

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
