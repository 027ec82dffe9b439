"""`build`: a Seq2Seq from an encoder preset name (the `--model` flag) and an attention name.

  model = presets.build("bilstm", src_vocab_size=40, tgt_vocab_size=14, hidden_size=64,
                        attention="luong")

The encoder is `rnnjax.models.ENCODERS[name]` (so "bilstm", "multigru", ... mean what they mean for
the classifiers); the decoder has one cell per encoder layer, of the encoder's cell type and
size (a bidirectional encoder's [h_fw; h_bw] reaches it through the bridge's Dense layer).
"""
from __future__ import annotations

import flax.linen as nn

from rnnjax import layers, models
from rnnjax.seq2seq.model import Seq2Seq

# Attention names of the experiments -> Seq2Seq's `attention`: "luong" is Luong et al.'s
# "general" score (it allows encoder outputs of another size than the decoder's, e.g. a
# bidirectional encoder), "dot" and "general" name the score explicitly.
ATTENTION_NAMES = {"none": "none", "luong": "general", "bahdanau": "bahdanau", "dot": "dot",
                   "general": "general"}


def encoder_cells(encoder: nn.Module) -> list[nn.Module]:
  """The cells of an rnnjax encoder layer, bottom first (one per layer; a bidirectional layer's
  forward cell)."""
  if isinstance(encoder, layers.Stacked):
    return list(encoder.cells)
  if isinstance(encoder, layers.Bidirectional):
    return [encoder.forward_cell]
  if isinstance(encoder, layers.Recurrent):
    return [encoder.cell]
  raise TypeError(f"encoder must be a Recurrent, Bidirectional or Stacked layer; got "
                  f"{type(encoder).__name__}.")


def build(name: str, *, src_vocab_size: int, tgt_vocab_size: int, hidden_size: int = 64,
          num_layers: int = 1, embed_dim: int = 32, attention: str = "none",
          dropout: float = 0.0, recurrent_dropout: float = 0.0, bridge: str = "auto",
          input_feeding: bool = True, share_embeddings: bool = False,
          input_dropout: float = 0.0, implementation: str = "auto") -> Seq2Seq:
  """The encoder preset `name` (a key of rnnjax.models.ENCODERS; num_layers applies to the
  multi* presets) and a decoder mirroring it, as a Seq2Seq. attention: a key of
  ATTENTION_NAMES. dropout: on the embeddings, between layers and before the output layer;
  recurrent_dropout, input_dropout: the encoder's variational and input dropout;
  implementation: the encoder's recurrence backend (`layers.Recurrent`)."""
  if name not in models.ENCODERS:
    raise ValueError(f"Unknown model {name!r}; choose one of {sorted(models.ENCODERS)}.")
  if attention not in ATTENTION_NAMES:
    raise ValueError(f"attention must be one of {sorted(ATTENTION_NAMES)}; got {attention!r}.")
  encoder = models.ENCODERS[name](hidden_size, num_layers, dropout, recurrent_dropout,
                                  return_sequences=True, return_state=True,
                                  input_dropout=input_dropout, implementation=implementation)
  decoder = [cell.clone(parent=None, name=None) for cell in encoder_cells(encoder)]
  return Seq2Seq(encoder, decoder, src_vocab_size, tgt_vocab_size, embed_dim=embed_dim,
                 share_embeddings=share_embeddings, attention=ATTENTION_NAMES[attention],
                 input_feeding=input_feeding, bridge=bridge, dropout=dropout)
