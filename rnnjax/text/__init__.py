"""Text for sequence-to-sequence tasks: token vocabularies (`vocab`) and corpus BLEU (`bleu`)."""
from rnnjax.text import bleu, vocab
from rnnjax.text.bleu import BleuScore, corpus_bleu
from rnnjax.text.vocab import EOS, GO, NUM, PAD, UNK, URL, Vocab, tokenize

__all__ = ["BleuScore", "EOS", "GO", "NUM", "PAD", "UNK", "URL", "Vocab", "bleu", "corpus_bleu",
           "tokenize", "vocab"]
