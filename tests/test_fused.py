"""The fused loops (rnnjax.recurrence.fused) equal a lax.scan over the cell's own step, values
and gradients, with masks, recurrent dropout, bfloat16 and transforms."""
import functools

from absl.testing import absltest, parameterized
import jax
import jax.numpy as jnp
from jax.test_util import check_grads
import numpy as np

from rnnjax import cells
from rnnjax.recurrence.fused import gru_recurrence, lstm_recurrence
from rnnjax.recurrence.fused.common import compute_dtype
from rnnjax.recurrence.scan import masked_step

T, B, H = 6, 5, 4
LENGTHS = np.array([T, 0, 1, 3, T])        # includes 0, 1 and T


def _valid(lengths=LENGTHS, time=T):
  return jnp.arange(time)[:, None] < jnp.asarray(lengths)[None, :]      # [T, B]


def _problem(cell, dtype=jnp.float32, seed=0):
  """Random inputs of `<cell>_recurrence`, as a dict of arrays (valid excluded)."""
  gates = {"lstm": 4, "gru": 3}[cell]
  ks = jax.random.split(jax.random.key(seed), 6)
  args = {
      "gx": jax.random.normal(ks[0], (T, B, gates * H)),
      "w_hh": jax.random.normal(ks[1], (H, gates * H)) / np.sqrt(H),
      "h0": jax.random.normal(ks[2], (B, H)),
      "h_mask": jax.random.bernoulli(ks[3], 0.7, (B, H)) / 0.7,
  }
  if cell == "lstm":
    args["c0"] = jax.random.normal(ks[4], (B, H))
    args["bias"] = jax.random.normal(ks[5], (gates * H,))
  else:
    args["b_hh"] = jax.random.normal(ks[5], (gates * H,))
    args["bias"] = jax.random.normal(ks[4], (gates * H,))
  return {k: v.astype(dtype) for k, v in args.items()}


def _scan_over_step(cell, weights, state0, gx, valid, h_mask, bias):
  """The reference: lax.scan over the cell's own `step` (autodiff), in the fused loops' compute
  dtype (float32 for 16-bit inputs), outputs back in gx's dtype."""
  dtype = compute_dtype(gx.dtype)
  cast = lambda tree: jax.tree.map(lambda a: a.astype(dtype), tree)  # noqa: E731
  z = gx.astype(dtype) if bias is None else gx.astype(dtype) + bias.astype(dtype)[None, None]
  body = masked_step(cell, cast(weights), None if h_mask is None else h_mask.astype(dtype))
  final, hs = jax.lax.scan(body, cast(state0), (z, valid))
  return hs.astype(gx.dtype), tuple(s.astype(gx.dtype) for s in final)


def lstm_reference(gx, w_hh, h0, c0, valid, h_mask=None, bias=None):
  hs, (h, c) = _scan_over_step(cells.LSTMCell(H), cells.LSTMWeights(w_hh),
                               cells.LSTMState(h0, c0), gx, valid, h_mask, bias)
  return hs, (h, c)


def gru_reference(gx, w_hh, b_hh, h0, valid, h_mask=None, bias=None):
  hs, (h,) = _scan_over_step(cells.GRUCell(H), cells.GRUWeights(w_hh, b_hh),
                             cells.HiddenState(h0), gx, valid, h_mask, bias)
  return hs, h


def _call(fn, cell, args, valid):
  if cell == "lstm":
    hs, (h, c) = fn(args["gx"], args["w_hh"], args["h0"], args["c0"], valid,
                    args.get("h_mask"), args.get("bias"))
    return hs, h, c
  hs, h = fn(args["gx"], args["w_hh"], args["b_hh"], args["h0"], valid, args.get("h_mask"),
             args.get("bias"))
  return hs, h, None


def _functional(fn, cell, valid, probes, use_hs=True):
  """A random linear functional of (hs, h_T, c_T): a scalar whose gradient checks everything."""

  def loss(args):
    hs, h, c = _call(fn, cell, args, valid)
    total = (h * probes[1]).sum()
    if use_hs:
      total += (hs * probes[0]).sum()
    if c is not None:
      total += (c * probes[2]).sum()
    return total

  return loss


def _probes(dtype=jnp.float32):
  ks = jax.random.split(jax.random.key(42), 3)
  return [jax.random.normal(ks[0], (T, B, H), dtype), jax.random.normal(ks[1], (B, H), dtype),
          jax.random.normal(ks[2], (B, H), dtype)]


FNS = {"lstm": (lstm_recurrence, lstm_reference), "gru": (gru_recurrence, gru_reference)}


class FusedRecurrenceTest(parameterized.TestCase):

  @parameterized.product(cell=["lstm", "gru"], use_mask=[False, True])
  def test_values_and_grads_match_reference(self, cell, use_mask):
    args = _problem(cell)
    if not use_mask:
      del args["h_mask"]
    fast_fn, ref_fn = FNS[cell]
    probes = _probes()
    got, want = jax.jit(lambda a: [jax.value_and_grad(_functional(fn, cell, _valid(), probes))(a)
                                   for fn in (fast_fn, ref_fn)])(args)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-5, atol=1e-5)
    for name in args:
      np.testing.assert_allclose(got[1][name], want[1][name], rtol=1e-5, atol=1e-5, err_msg=name)

  @parameterized.parameters("lstm", "gru")
  def test_no_mask_equals_an_all_true_mask(self, cell):
    args, probes = _problem(cell), _probes()
    full = jnp.ones((T, B), bool)
    got, want = jax.jit(lambda a: [jax.value_and_grad(_functional(FNS[cell][0], cell, v, probes))(a)
                                   for v in (None, full)])(args)
    np.testing.assert_array_equal(got[0], want[0])
    for name in args:
      np.testing.assert_array_equal(got[1][name], want[1][name], err_msg=name)
    ref = _call(FNS[cell][1], cell, args, None)                          # the references too
    for a, b in zip(_call(FNS[cell][0], cell, args, None), ref):
      if a is not None:
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)

  @parameterized.parameters("lstm", "gru")
  def test_padding_freezes_state_and_zeroes_outputs(self, cell):
    args = _problem(cell)
    hs, h, c = jax.jit(functools.partial(_call, FNS[cell][0], cell))(args, _valid())
    for b, length in enumerate(LENGTHS):
      np.testing.assert_array_equal(hs[length:, b], 0)
      # The final state is the state after the last valid step (the initial one for length 0).
      want_h = args["h0"][b] if length == 0 else hs[length - 1, b]
      np.testing.assert_allclose(h[b], want_h, rtol=1e-6)
    if c is not None:
      np.testing.assert_array_equal(c[1], args["c0"][1])                # length 0

  @parameterized.parameters("lstm", "gru")
  def test_grads_when_only_final_state_is_used(self, cell):
    args = _problem(cell)
    fast_fn, ref_fn = FNS[cell]
    got, want = jax.jit(lambda a: [
        jax.grad(_functional(fn, cell, _valid(), _probes(), use_hs=False))(a)
        for fn in (fast_fn, ref_fn)])(args)
    for name in args:
      np.testing.assert_allclose(got[name], want[name], rtol=1e-5, atol=1e-5, err_msg=name)

  @parameterized.parameters("lstm", "gru")
  def test_check_grads_float64(self, cell):
    with jax.enable_x64(True):
      args = _problem(cell, jnp.float64)
      names = sorted(args)
      fn = FNS[cell][0]

      @jax.jit
      def f(*values):
        return _call(fn, cell, dict(zip(names, values)), _valid())[:2]

      check_grads(f, [args[k] for k in names], order=1, modes=["rev"], atol=1e-6, rtol=1e-6)

  @parameterized.parameters("lstm", "gru")
  def test_vmap_of_jitted_grad_matches(self, cell):
    args = _problem(cell)
    loss = _functional(FNS[cell][0], cell, _valid(), _probes())
    jitted = jax.jit(jax.grad(loss))(args)
    stacked = jax.tree.map(lambda a: jnp.stack([a, 2 * a]), args)
    batched = jax.jit(jax.vmap(jax.grad(loss)))(stacked)
    for name in args:
      np.testing.assert_allclose(batched[name][0], jitted[name], rtol=1e-5, atol=1e-6)

  @parameterized.parameters("lstm", "gru")
  def test_bfloat16_runs_in_bfloat16_and_is_close(self, cell):
    args = _problem(cell)
    low = dict(args, gx=args["gx"].astype(jnp.bfloat16))                # params stay float32
    loss = _functional(FNS[cell][0], cell, _valid(), _probes())

    grads, want = jax.jit(lambda low, args: (jax.grad(loss)(low), jax.grad(loss)(args)))(low, args)
    hs = jax.eval_shape(functools.partial(_call, FNS[cell][0], cell), low, _valid())[0]
    self.assertEqual(hs.dtype, jnp.bfloat16)
    self.assertEqual(grads["gx"].dtype, jnp.bfloat16)
    self.assertEqual(grads["w_hh"].dtype, jnp.float32)
    # gx is rounded to bfloat16 (relative error <= eps = 2^-8) and its gradient is rounded back
    # (another eps); everything else runs in float32. So every gradient is off by about 2 eps
    # of its own scale; 4 eps leaves a factor of 2 (measured: at most 1.25 eps).
    eps = 2.0 ** -8
    for name in args:
      scale = float(jnp.max(jnp.abs(want[name])))
      np.testing.assert_allclose(grads[name].astype(jnp.float32), want[name], rtol=0,
                                 atol=4 * eps * scale, err_msg=name)


if __name__ == "__main__":
  absltest.main()
