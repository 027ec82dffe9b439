"""Task heads, the model presets selected by `--model` flags, and free-running generation."""
from rnnjax.models.blocks import ResidualBlock, ResidualEncoder
from rnnjax.models.classifier import READOUTS, SequenceClassifier, masked_max, masked_mean
from rnnjax.models.generation import generate
from rnnjax.models.presets import ENCODERS, MODELS, build, build_tagger, layer_count
from rnnjax.models.tagger import SequenceTagger

__all__ = ["ENCODERS", "MODELS", "READOUTS", "ResidualBlock", "ResidualEncoder",
           "SequenceClassifier", "SequenceTagger", "build", "build_tagger", "generate",
           "layer_count", "masked_max", "masked_mean"]
