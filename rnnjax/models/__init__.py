"""Task heads and the model presets selected by `--model` flags."""
from rnnjax.models.blocks import ResidualBlock, ResidualEncoder
from rnnjax.models.classifier import READOUTS, SequenceClassifier, masked_mean
from rnnjax.models.presets import ENCODERS, MODELS, build

__all__ = ["ENCODERS", "MODELS", "READOUTS", "ResidualBlock", "ResidualEncoder",
           "SequenceClassifier", "build", "masked_mean"]
