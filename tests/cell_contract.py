"""The contract tests every cell gets: `contract_tests(make_cell, numpy_step)` builds a TestCase.

tests/test_cell_contract.py makes one for every registered cell (rnnjax.cells.CELLS) and every
backend that supports it; tests/test_toy_cell.py shows that a new cell needs nothing more than
its file, a registry line and a numpy transcription of its step (tests/reference.py).

Checked: parameter layout and state shapes; the layer equals the numpy transcription in float64
(with lengths, in both directions); every backend that supports the cell equals the scan, values
and gradients (the static backend for one cell of each state structure: `static`), with NaN
and inf in the padding (which must reach no value and no gradient); Bidirectional with lengths
equals the transcription run both ways; check_grads of the step and of the layer in float64;
bfloat16 compute stays within a tolerance derived from bfloat16's precision. Every check runs
jitted (one compilation each), to keep the suite fast.

`input_shape` is one step's input without the batch axis: (D,) for vector cells, (*S, D) for a
cell that steps over frames (ConvLSTMCell: (W, D) or (H_img, W, D)).
"""
from __future__ import annotations

import functools

from absl.testing import parameterized
import jax
import jax.numpy as jnp
from jax.test_util import check_grads
import numpy as np
import pytest

from rnnjax import layers, recurrence
import reference

B, T, D, H = 3, 7, 5, 4
LENGTHS = np.array([T, 4, 1], np.int32)
BF16_EPS = 2.0 ** -8      # bfloat16's unit roundoff (8 significant bits)


def inputs(input_shape=(D,)):
  """(xs, clean, junk) [B, T, *input_shape]: random inputs; zero padding; NaN and inf where the
  rows are padded (no value and no gradient may see them)."""
  xs = np.asarray(jax.random.normal(jax.random.key(0), (B, T) + tuple(input_shape)))
  padding = np.arange(T)[None, :] >= LENGTHS[:, None]                     # [B, T]
  padding = padding.reshape(padding.shape + (1,) * len(input_shape))      # [B, T, 1, ...]
  junk = np.where(padding, np.where(np.arange(input_shape[-1]) % 2, np.nan, np.inf), xs)
  return xs, np.where(padding, 0.0, xs).astype(np.float32), junk.astype(np.float32)


XS, CLEAN, JUNK = inputs()


def randomize(params, key, scale=0.5):
  """Random values for every parameter, so zero-initialised options (peepholes) matter."""
  leaves, tree = jax.tree.flatten(params)
  keys = jax.random.split(key, len(leaves))
  return jax.tree.unflatten(tree, [scale * jax.random.normal(k, l.shape, l.dtype)
                                   for k, l in zip(keys, leaves)])


def magnitude(want) -> float:
  """max(1, max |want|): the scale that rounding errors of an array's computation follow."""
  return max(1.0, float(np.max(np.abs(want))))


def to_numpy(tree):
  return jax.tree.map(np.asarray, tree)


def sum_of_sines(tree) -> jax.Array:
  """A scalar that depends on every output and state entry (for gradients)."""
  return jax.tree.reduce(lambda a, x: a + jnp.sum(jnp.sin(x)), tree, 0.0)


def supported_backends(layer: layers.Recurrent, variables, xs=XS) -> list[str]:
  """The backends other than the scan that can run `layer` here (each says why it cannot)."""
  names = []
  for name in recurrence.BACKENDS:
    if name == "scan":
      continue
    try:
      jax.eval_shape(lambda v: layer.clone(implementation=name).apply(v, xs, LENGTHS), variables)
    except ValueError as e:
      if "cannot run this call" not in str(e):
        raise
      continue
    names.append(name)
  return names


GRADIENTS = "test_gradients_match_finite_differences_in_float64"
BFLOAT16 = "test_bfloat16_compute_stays_within_bfloat16_precision"
BACKENDS = "test_every_backend_equals_the_scan_and_ignores_nan_padding"


def contract_tests(make_cell, numpy_step, name: str, input_shape=(D,),
                   slow: tuple[str, ...] = (), static: bool = False,
                   backend_atol: float = 1e-6) -> type:
  """A TestCase class checking the cell `make_cell(**dtype kwargs)` against `numpy_step`, on
  inputs [B, T, *input_shape].

  static: also run the "static" backend against the scan. It unrolls the scan's own masked step
  (recurrence/scan.py) in a Python loop, so only the state's structure can tell two cells apart
  there; tests/test_cell_contract.py turns it on for one cell of each structure (LSTM: an (h, c)
  pair, LRU: a state wider than the output, ConvLSTM: frames), since compiling T unrolled steps
  with their gradients both ways is half of this test's time for every other cell.

  backend_atol: the backends' tolerance against the scan, per unit of the array's magnitude
  (1e-6: ~8 float32 ulps). Each backend and the scan both err from the float64 result, so their
  difference may reach the sum of the two errors; a cell whose float32 error is larger than that
  (tests/test_cell_contract.py: the LRU) passes its own, measured bound.

  slow: tests marked `slow` (deselected by default, run by `pytest -m slow`) to keep CI short:
  for options of a registered cell (e.g. the log-space minGRU) whose registered form runs them
  on the same code (GRADIENTS, BFLOAT16)."""
  XS, CLEAN, JUNK = inputs(input_shape)    # noqa: N806  (this cell's inputs, shadowing the module's)
  frame = tuple(input_shape[:-1])                                        # S: () for vectors

  def variables(layer, xs=XS, key=1):
    params = layer.init(jax.random.key(key), jnp.asarray(xs), LENGTHS)["params"]
    return {"params": randomize(params, jax.random.key(key + 1))}

  def numpy_run(params, reverse, state0):
    return reference.run(numpy_step, to_numpy(params), np.asarray(XS, np.float64), LENGTHS,
                         tuple(np.zeros(s.shape) for s in state0), reverse=reverse)

  class CellContractTest(parameterized.TestCase):

    def test_parameter_layout_and_state_shapes(self):
      layer = layers.Recurrent(make_cell(), return_state=True)
      params = layer.init(jax.random.key(0), XS)["params"]["cell"]
      cell = make_cell()
      if "input" in params:
        gates = cell.num_gates * cell.hidden_size
        self.assertEqual(params["input"]["kernel"].shape[-2:], (input_shape[-1], gates))
        self.assertEqual(params["input"]["kernel"].ndim, 2 + len(frame))   # [*K, D, G*H]
        self.assertEqual(params["input"]["bias"].shape, (gates,))
      self.assertTrue(all(p.dtype == jnp.float32 for p in jax.tree.leaves(params)))
      final, ys = jax.jit(layer.apply)({"params": {"cell": params}}, XS)
      self.assertEqual(ys.shape, (B, T, *frame, cell.output_size))
      self.assertTrue(all(s.shape[0] == B for s in jax.tree.leaves(final)))
      if cell.output_is_h:       # else the state has its own width (e.g. the LRU's N)
        self.assertEqual(final.h.shape, (B, *frame, cell.output_size))

    def test_matches_numpy_transcription_in_float64_both_ways(self):
      with jax.enable_x64(True):
        layer = layers.Recurrent(make_cell(param_dtype=jnp.float64), return_state=True)
        xs = jnp.asarray(XS, jnp.float64)
        v = variables(layer, xs)
        runs = jax.jit(lambda v: [layer.clone(reverse=r).apply(v, xs, LENGTHS)
                                  for r in (False, True)])(v)
        for reverse, (final, ys) in zip((False, True), runs):
          want_ys, want_final = numpy_run(v["params"]["cell"], reverse, final)
          self.assertEqual(ys.dtype, jnp.float64)
          np.testing.assert_allclose(ys, want_ys, rtol=1e-9, atol=1e-9)
          for got, want in zip(final, want_final):
            np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9)

    def test_every_backend_equals_the_scan_and_ignores_nan_padding(self):
      layer = layers.Recurrent(make_cell(), return_state=True, implementation="scan")
      v = variables(layer)
      names = ["scan"] + [n for n in supported_backends(layer, v, XS)
                          if static or n != "static"]

      def grads(v):
        out = {}
        for reverse in (False, True):
          for backend, xs in [("reference", CLEAN)] + [(n, JUNK) for n in names]:
            other = layer.clone(reverse=reverse, implementation=backend.replace("reference",
                                                                                "scan"))
            loss = lambda v, x: sum_of_sines(other.apply(v, x, LENGTHS))  # noqa: E731, B023
            out[backend, reverse] = jax.value_and_grad(loss, argnums=(0, 1))(v, xs)
        return out

      out = jax.jit(grads)(v)
      for (backend, reverse), got in out.items():
        want = out["reference", reverse]
        for a, b in zip(jax.tree.leaves(got), jax.tree.leaves(want)):
          self.assertTrue(np.all(np.isfinite(a)), f"{name} {backend}: non-finite")
          # atol 1e-6 is ~16 float32 ulps of an O(1) array; a backend that sums in another
          # order (the associative scan's tree) errs by ulps of the terms summed, i.e. of the
          # array's magnitude m, so the bound is 1e-6 * max(1, m) (unchanged for |b| <= 1).
          np.testing.assert_allclose(a, b, rtol=1e-5, atol=backend_atol * magnitude(b),
                                     err_msg=f"{name} {backend} reverse={reverse}")

    def test_bidirectional_with_lengths_matches_the_transcription_both_ways(self):
      bi = layers.Bidirectional(make_cell(), make_cell(), return_state=True)
      params = randomize(bi.init(jax.random.key(1), XS, LENGTHS)["params"], jax.random.key(2))
      (fw, bw), ys = jax.jit(bi.apply)({"params": params}, XS, LENGTHS)
      width = ys.shape[-1] // 2
      for part, state, reverse, out in (("forward", fw, False, ys[..., :width]),
                                        ("backward", bw, True, ys[..., width:])):
        want_ys, want_final = numpy_run(params[part]["cell"], reverse, state)
        np.testing.assert_allclose(out, want_ys, rtol=1e-5, atol=1e-5, err_msg=part)
        for got, want in zip(state, want_final):
          np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5, err_msg=part)

    def test_gradients_match_finite_differences_in_float64(self):
      with jax.enable_x64(True):
        cell = make_cell(param_dtype=jnp.float64)
        xs = jnp.asarray(XS, jnp.float64)
        layer = layers.Recurrent(cell, return_state=True)
        v = variables(layer, xs)
        check_grads(jax.jit(lambda v, x: layer.apply(v, x, LENGTHS)), (v, xs), order=1,
                    modes=["rev"], atol=1e-6, rtol=1e-6, eps=1e-6)
        bound = cell.bind({"params": v["params"]["cell"]})
        gx = bound.project_inputs(xs[:, 0])
        state = jax.tree.map(lambda s: 0.3 * jnp.ones_like(s), layers.zero_state(bound, B, frame))
        check_grads(jax.jit(functools.partial(bound.step)), (bound.weights(), state, gx),
                    order=1, modes=["rev"], atol=1e-6, rtol=1e-6)

    def test_bfloat16_compute_stays_within_bfloat16_precision(self):
      # Each step rounds its inputs, its projection and its gate pre-activations to bfloat16
      # (relative error BF16_EPS each); a contracting recurrence does not compound them over T,
      # so outputs and states of size O(1) are off by a few roundings: 4 eps, doubled for
      # cells with more rounded operations per step, gives 8 eps = 0.031 (measured with these
      # inputs and randomised parameters: SimpleRNN 1.6 eps, GRU 0.9, LSTM 0.6). Rounding errs
      # relative to the value rounded, so for cells whose outputs are not squashed into [-1, 1]
      # (the linear minGRU, minLSTM, LRU: |y| up to ~16 here, where one bfloat16 ulp is 0.125)
      # the same few roundings are of values of the array's magnitude m: the bound is
      # 8 * eps * max(1, m), unchanged for outputs within [-1, 1].
      layer = layers.Recurrent(make_cell(), return_state=True)
      v = variables(layer)
      low = layers.Recurrent(make_cell(dtype=jnp.bfloat16), return_state=True)
      want, got = jax.jit(lambda v: (layer.apply(v, XS, LENGTHS),
                                     low.apply(v, XS.astype(jnp.bfloat16), LENGTHS)))(v)
      self.assertEqual(got[1].dtype, jnp.bfloat16)
      for a, b in zip(jax.tree.leaves(got), jax.tree.leaves(want)):
        np.testing.assert_allclose(np.asarray(a, np.float32), b, rtol=0,
                                   atol=8 * BF16_EPS * magnitude(b))

  for method in slow:
    setattr(CellContractTest, method, pytest.mark.slow(getattr(CellContractTest, method)))
  CellContractTest.__name__ = CellContractTest.__qualname__ = f"{name}ContractTest"
  return CellContractTest
