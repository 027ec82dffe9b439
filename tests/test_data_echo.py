"""The Echo-RNN data (rnnjax.data.echo): the echoed labels, the tutorial's reshape into
contiguous rows, the chunks of a stream, and the held-out weights."""
import numpy as np
from absl.testing import absltest, parameterized

from rnnjax.data import echo

LENGTH, ECHO, ROWS, CHUNK = 60, 3, 3, 4          # rows of 20 steps: 5 chunks


class EchoDataTest(parameterized.TestCase):

  def test_labels_are_the_series_echo_step_later_and_start_with_zeros(self):
    x, y = echo.echo_series(LENGTH, ECHO, seed=0)
    self.assertEqual(set(np.unique(x)), {0, 1})
    np.testing.assert_array_equal(y[:ECHO], 0)
    np.testing.assert_array_equal(y[ECHO:], x[:-ECHO])

  def test_same_seed_same_series_other_seed_other_series(self):
    a, b, c = (echo.echo_series(LENGTH, ECHO, seed)[0] for seed in (0, 0, 1))
    np.testing.assert_array_equal(a, b)
    self.assertFalse(np.array_equal(a, c))

  def test_rows_are_contiguous_pieces_read_in_chunks(self):
    x, y = echo.echo_series(LENGTH, ECHO, seed=[7, 0])
    stream = echo.stream(LENGTH, ECHO, ROWS, CHUNK, seed=[7, 0])
    self.assertEqual((stream.rows, stream.num_chunks), (ROWS, LENGTH // ROWS // CHUNK))
    np.testing.assert_array_equal(stream.inputs[..., 0].ravel(), x)   # the tutorial's reshape
    np.testing.assert_array_equal(stream.labels.ravel(), y)
    batch = stream.chunk_batch(1)
    self.assertEqual(batch["inputs"].shape, (ROWS, CHUNK, 1))
    np.testing.assert_array_equal(batch["labels"][1], y[20 + CHUNK:20 + 2 * CHUNK])
    self.assertFalse(batch["reset"].any())
    self.assertTrue(stream.chunk_batch(0)["reset"].all())

  def test_held_out_streams_score_each_row_from_echo_step_on(self):
    data = echo.load(LENGTH, ECHO, ROWS, CHUNK, seed=0)
    self.assertIsNone(data.train.weights)                             # the tutorial's loss
    for split in (data.validation, data.test):
      np.testing.assert_array_equal(split.weights[:, :ECHO], 0.0)
      np.testing.assert_array_equal(split.weights[:, ECHO:], 1.0)
    self.assertFalse(np.array_equal(data.train.inputs, data.test.inputs))
    self.assertFalse(np.array_equal(data.validation.inputs, data.test.inputs))

  @parameterized.named_parameters(
      ("rows_shorter_than_a_chunk", dict(length=10, echo_step=1, rows=5, chunk=3), "chunk=3"),
      ("echo_step_past_the_series", dict(length=4, echo_step=4, rows=1, chunk=1), "echo_step=4"))
  def test_bad_sizes_name_the_argument(self, kwargs, message):
    with self.assertRaisesRegex(ValueError, message):
      echo.stream(seed=0, **kwargs)


if __name__ == "__main__":
  absltest.main()
