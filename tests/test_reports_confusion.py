"""reports.confusion: the confusion-matrix figure of the notebooks."""
import os
import tempfile

import matplotlib.image
import numpy as np
from absl.testing import absltest

from rnnjax.reports import confusion


class ConfusionFigureTest(absltest.TestCase):

  def test_draws_a_png_with_a_class_that_has_no_rows(self):
    counts = np.array([[5, 1, 0], [0, 0, 0], [2, 0, 3]], np.float32)   # class 1: no rows
    with tempfile.TemporaryDirectory() as tmp:
      path = confusion.figure(counts, ("a", "b", "c"), os.path.join(tmp, confusion.FIGURE_FILE))
      self.assertEqual(path, os.path.join(tmp, "confusion.png"))
      image = matplotlib.image.imread(path)
    self.assertEqual(image.ndim, 3)
    self.assertGreater(image.shape[0], 100)

  def test_refuses_a_matrix_that_is_not_square(self):
    with self.assertRaisesRegex(ValueError, r"shape \(2, 3\).*square"):
      confusion.figure(np.zeros((2, 3)), (), "unused.png")

  def test_refuses_names_that_do_not_match_the_classes(self):
    with self.assertRaisesRegex(ValueError, "2 names for a 3-class"):
      confusion.figure(np.eye(3), ("a", "b"), "unused.png")


if __name__ == "__main__":
  absltest.main()
