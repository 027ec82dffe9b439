"""Sequence to sequence: the encoder-decoder model, attention, decoding, the arrays of teacher
forcing (trained by rnnjax.train / rnnjax.trainer.fit with their per-step cross-entropy) and
evaluation (exact match, BLEU)."""
from rnnjax.seq2seq import attention, batch, bridge, decode, evaluate, model, presets
from rnnjax.seq2seq.attention import ATTENTIONS, Attention, Memory, masked_softmax
from rnnjax.seq2seq.batch import data_spec, encode_pairs, encode_split, shift_right
from rnnjax.seq2seq.bridge import BRIDGES, Bridge
from rnnjax.seq2seq.decode import DecodeResult, beam_search, exact_match, greedy
from rnnjax.seq2seq.evaluate import Evaluation, translate
from rnnjax.seq2seq.model import DecoderCarry, DecoderCore, Seq2Seq
from rnnjax.seq2seq.presets import ATTENTION_NAMES, build

__all__ = ["ATTENTIONS", "ATTENTION_NAMES", "Attention", "BRIDGES", "Bridge", "DecodeResult",
           "DecoderCarry", "DecoderCore", "Evaluation", "Memory", "Seq2Seq", "attention", "batch",
           "beam_search", "bridge", "build", "data_spec", "decode", "encode_pairs",
           "encode_split", "evaluate", "exact_match", "greedy", "masked_softmax", "model",
           "presets", "shift_right", "translate"]
