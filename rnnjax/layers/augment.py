"""Training-time input augmentation for sensor sequences: `RandomScaling` and `GaussianNoise`.

Both are the identity at evaluation (train=False) and draw their randomness from the "dropout"
stream, so a training step's key (`rnnjax.train.train_step`) reproduces them and a resumed run
draws the same values. They follow "Data augmentation of wearable sensor data for Parkinson's
disease monitoring using convolutional neural networks" (Um et al., ICMI 2017): "magnitude
scaling" multiplies each channel of a sequence by one random factor, "jittering" adds noise to
every value; Keras' `layers.GaussianNoise(stddev)` is the second.
"""
from __future__ import annotations

import flax.linen as nn
import jax

from rnnjax.typing import Array


class _Augmentation(nn.Module):
  """xs -> perturb(xs, key) in training, when stddev > 0; xs otherwise."""
  stddev: float

  @nn.compact
  def __call__(self, xs: Array, *, train: bool = False) -> Array:
    if not 0.0 <= self.stddev:
      raise ValueError(f"stddev must be >= 0 (a standard deviation; 0: off); got {self.stddev}.")
    if not train or self.stddev == 0.0:
      return xs
    return self.perturb(xs, self.make_rng("dropout"))

  def perturb(self, xs: Array, key: jax.Array) -> Array:
    raise NotImplementedError


class RandomScaling(_Augmentation):
  """xs [B, T, D] -> xs * s [B, T, D], s [B, 1, D] ~ Normal(1, stddev) in training.

  One factor per sequence and channel, the same at every step (Um et al.'s magnitude scaling:
  a sensor that reads a little stronger or weaker on another subject).

  Attributes:
    stddev: the factors' standard deviation (0: the identity).
  """

  def perturb(self, xs: Array, key: jax.Array) -> Array:
    shape = (xs.shape[0],) + (1,) * (xs.ndim - 2) + (xs.shape[-1],)   # [B, 1, D]
    return xs * (1.0 + self.stddev * jax.random.normal(key, shape, xs.dtype))


class GaussianNoise(_Augmentation):
  """xs [B, T, D] -> xs + n, n ~ Normal(0, stddev) elementwise, in training (Keras'
  GaussianNoise; Um et al.'s jittering).

  Attributes:
    stddev: the noise's standard deviation (0: the identity).
  """

  def perturb(self, xs: Array, key: jax.Array) -> Array:
    return xs + self.stddev * jax.random.normal(key, xs.shape, xs.dtype)


def augment(xs: Array, scaling: float, noise: float, train: bool) -> Array:
  """RandomScaling(scaling) then GaussianNoise(noise), inside the caller's compact method."""
  if scaling:
    xs = RandomScaling(scaling, name="input_scaling")(xs, train=train)
  if noise:
    xs = GaussianNoise(noise, name="input_noise")(xs, train=train)
  return xs
