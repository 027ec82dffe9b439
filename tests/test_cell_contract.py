"""The contract tests (tests/cell_contract.py) for every registered cell in rnnjax.cells.CELLS.

Registering a cell is enough: its tests appear here as <Name>ContractTest; the only thing they
need from tests/ is its numpy transcription in reference.STEPS.
"""
import functools

from absl.testing import absltest

from rnnjax import cells
import reference
from cell_contract import H, contract_tests


class RegistryTest(absltest.TestCase):

  def test_every_registered_cell_has_a_numpy_transcription(self):
    missing = sorted(set(cells.CELLS) - set(reference.STEPS))
    self.assertEqual(missing, [], "add their numpy steps to tests/reference.py STEPS")


for _name, _cls in cells.CELLS.items():
  _test = contract_tests(functools.partial(_cls, H), reference.STEPS[_name], _cls.__name__)
  globals()[_test.__name__] = _test
del _test

if __name__ == "__main__":
  absltest.main()
