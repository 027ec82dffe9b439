"""Sequence to sequence: the encoder-decoder model, attention, decoding, the per-step loss and
evaluation (exact match, BLEU)."""
from rnnjax.seq2seq import attention, batch, bridge, decode, evaluate, loss, model
from rnnjax.seq2seq.attention import ATTENTIONS, Attention, Memory, masked_softmax
from rnnjax.seq2seq.batch import encode_pairs, shift_right
from rnnjax.seq2seq.bridge import BRIDGES, Bridge
from rnnjax.seq2seq.decode import DecodeResult, beam_search, exact_match, greedy
from rnnjax.seq2seq.evaluate import Evaluation, translate
from rnnjax.seq2seq.loss import length_weights, sequence_loss
from rnnjax.seq2seq.model import DecoderCarry, DecoderCore, Seq2Seq

__all__ = ["ATTENTIONS", "Attention", "BRIDGES", "Bridge", "DecodeResult", "DecoderCarry",
           "DecoderCore", "Evaluation", "Memory", "Seq2Seq", "attention", "batch", "beam_search",
           "bridge", "decode", "encode_pairs", "evaluate", "exact_match", "greedy",
           "length_weights", "loss", "masked_softmax", "model", "sequence_loss", "shift_right",
           "translate"]
