"""The contract tests (tests/cell_contract.py) for every registered cell in rnnjax.cells.CELLS.

Registering a cell is enough: its tests appear here as <Name>ContractTest; the only thing they
need from tests/ is its numpy transcription in reference.STEPS.
"""
import functools

from absl.testing import absltest

from rnnjax import cells
import reference
from cell_contract import D, H, contract_tests

# One step's input without the batch axis: (*S, D) with frames S = (6, 2) (or (6,) for 1-D) for
# cells that step over frames (ConvLSTMCell's registered default is a 2-D 3x3 cell), else (D,).
FRAME = (6, 2)
# The cells whose contract also runs the "static" backend: one of each state structure (see
# cell_contract.contract_tests).
STATIC = ("lstm", "lru", "convlstm")
# Backend tolerances other than the default 1e-6 per unit of magnitude. The LRU's complex
# recurrence (exp of nu_log / theta_log, gamma_log's normalisation) errs in float32 against a
# float64 run by up to ~0.6e-6 x magnitude, in the scan and the associative scan alike (reversed,
# input-bias gradient of magnitude 4.6: scan 2.6e-6, associative 1.7e-6; AMD EPYC, jax 0.10.2:
# results/logs/lru_float64_check.py and its .log), and in this test (NaN padding) the two
# differed by 7.2e-6 (1.6e-6 x magnitude) on that CPU, failing the default bound while passing
# on others: XLA's CPU code differs by host.
BACKEND_ATOL = {"lru": 4e-6}


class RegistryTest(absltest.TestCase):

  def test_every_registered_cell_has_a_numpy_transcription(self):
    missing = sorted(set(cells.CELLS) - set(reference.STEPS))
    self.assertEqual(missing, [], "add their numpy steps to tests/reference.py STEPS")


for _name, _cls in cells.CELLS.items():
  _dims = getattr(_cls(H), "spatial_dims", 0)
  _test = contract_tests(functools.partial(_cls, H), reference.STEPS[_name], _cls.__name__,
                         input_shape=FRAME[:_dims] + (D,), static=_name in STATIC,
                         backend_atol=BACKEND_ATOL.get(_name, 1e-6))
  globals()[_test.__name__] = _test
del _test

if __name__ == "__main__":
  absltest.main()
