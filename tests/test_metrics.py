"""Losses and metrics against hand-computed NumPy values."""
import jax.numpy as jnp
import numpy as np
from absl.testing import absltest, parameterized

from rnnjax import metrics

B, C = 5, 3
LOGITS = np.array([[2.0, 0.5, -1.0],
                   [0.1, 0.2, 0.3],
                   [-1.0, 3.0, 0.0],
                   [0.0, 0.0, 1.0],
                   [1.0, -2.0, 0.5]], np.float32)                    # [B, C]
LABELS = np.array([0, 2, 1, 0, 2], np.int32)                         # [B]; predictions 0 2 1 2 0


def _np_log_softmax(x):
  x = x - x.max(-1, keepdims=True)
  return x - np.log(np.exp(x).sum(-1, keepdims=True))


class LossTest(parameterized.TestCase):

  def test_softmax_cross_entropy_matches_numpy(self):
    expected = -_np_log_softmax(LOGITS)[np.arange(B), LABELS]
    np.testing.assert_allclose(metrics.softmax_cross_entropy(LOGITS, LABELS), expected, rtol=1e-6)

  def test_sigmoid_cross_entropy_matches_numpy(self):
    logits = LOGITS[:, :1]                                             # [B, 1]
    labels = np.array([1, 0, 0, 1, 1], np.int32)
    p = 1 / (1 + np.exp(-logits[:, 0]))
    expected = -(labels * np.log(p) + (1 - labels) * np.log(1 - p))
    np.testing.assert_allclose(metrics.sigmoid_cross_entropy(logits, labels), expected, rtol=1e-5)

  @parameterized.named_parameters(("single_output", 1), ("three_outputs", 3))
  def test_regression_losses_match_numpy(self, width):
    predictions = LOGITS[:, :width]                                    # [B, K]
    targets = np.linspace(-1, 1, B * width).astype(np.float32).reshape(B, width)
    if width == 1:
      targets = targets[:, 0]                                          # [B] against [B, 1]
    diff = predictions.reshape(B, -1) - targets.reshape(B, -1)
    np.testing.assert_allclose(metrics.mean_squared_error(predictions, targets),
                               np.mean(diff ** 2, axis=1), rtol=1e-6)
    np.testing.assert_allclose(metrics.mean_absolute_error(predictions, targets),
                               np.mean(np.abs(diff), axis=1), rtol=1e-6)

  def test_l2_penalty_is_lambda_times_half_sum_of_squares(self):
    params = {"dense": {"kernel": np.arange(6, dtype=np.float32).reshape(2, 3),
                        "bias": np.array([1.0, -2.0], np.float32)},
              "recurrent_kernel": np.full((2, 2), 0.5, np.float32)}
    expected = 0.001 * (np.sum(np.arange(6.0) ** 2) + 5.0 + 4 * 0.25) / 2
    np.testing.assert_allclose(metrics.l2_penalty(params, 0.001), expected, rtol=1e-6)

  @parameterized.parameters((6, "softmax_cross_entropy"), (1, "sigmoid_cross_entropy"),
                            (0, "mse"))
  def test_default_loss_follows_num_classes(self, num_classes, expected):
    self.assertEqual(metrics.default_loss(num_classes), expected)


class MetricTest(parameterized.TestCase):

  def test_accuracy_and_weights(self):
    self.assertAlmostEqual(float(metrics.accuracy(LOGITS, LABELS)), 3 / 5, places=6)
    weights = np.array([1, 1, 1, 0, 0], np.float32)                   # drop the two misses
    self.assertAlmostEqual(float(metrics.accuracy(LOGITS, LABELS, weights)), 1.0)

  def test_confusion_matrix_counts_true_rows_and_predicted_columns(self):
    predicted = np.asarray(metrics.predictions(LOGITS))
    np.testing.assert_array_equal(predicted, [0, 2, 1, 2, 0])
    expected = np.zeros((C, C))
    for t, p in zip(LABELS, predicted):
      expected[t, p] += 1
    np.testing.assert_array_equal(metrics.confusion_matrix(LABELS, predicted, C), expected)
    weights = np.array([1, 1, 1, 1, 0], np.float32)
    expected[2, 0] -= 1
    np.testing.assert_array_equal(metrics.confusion_matrix(LABELS, predicted, C, weights), expected)

  def test_per_class_accuracy_is_row_recall(self):
    confusion = np.array([[3, 1, 0], [0, 0, 0], [1, 1, 2]])
    np.testing.assert_allclose(metrics.per_class_accuracy(confusion), [0.75, np.nan, 0.5])

  def test_padding_rows_do_not_count_in_sums(self):
    weights = jnp.array([1, 1, 1, 0, 0], jnp.float32)
    padded = metrics.batch_sums(LOGITS, LABELS, weights, loss="softmax_cross_entropy")
    kept = metrics.batch_sums(LOGITS[:3], LABELS[:3], loss="softmax_cross_entropy")
    summary = metrics.summarize(metrics.merge([padded]))
    np.testing.assert_allclose(summary["loss"], float(kept["loss"]) / 3, rtol=1e-6)
    self.assertEqual(summary["accuracy"], 1.0)
    np.testing.assert_array_equal(summary["confusion"], kept["confusion"])

  def test_merge_adds_batches_before_dividing(self):
    halves = [metrics.batch_sums(LOGITS[:2], LABELS[:2], loss="softmax_cross_entropy"),
              metrics.batch_sums(LOGITS[2:], LABELS[2:], loss="softmax_cross_entropy")]
    whole = metrics.summarize(metrics.merge(
        [metrics.batch_sums(LOGITS, LABELS, loss="softmax_cross_entropy")]))
    merged = metrics.summarize(metrics.merge(halves))
    for key in ("loss", "accuracy"):
      np.testing.assert_allclose(merged[key], whole[key], rtol=1e-6)
    np.testing.assert_allclose(merged["per_class_accuracy"], [0.5, 1.0, 0.5])

  def test_regression_sums_give_mae_and_mse(self):
    targets = np.zeros((B,), np.float32)
    summary = metrics.summarize(metrics.merge(
        [metrics.batch_sums(LOGITS[:, :1], targets, loss="mae")]))
    np.testing.assert_allclose(summary["mae"], np.abs(LOGITS[:, 0]).mean(), rtol=1e-6)
    np.testing.assert_allclose(summary["mse"], np.square(LOGITS[:, 0]).mean(), rtol=1e-6)
    self.assertNotIn("accuracy", summary)

  def test_format_confusion_names_classes(self):
    text = metrics.format_confusion(np.array([[5, 1], [0, 4]]), ("WALKING", "LAYING"))
    self.assertIn("WALKING", text)
    self.assertIn(" 83.33 %", text)
    self.assertEqual(len(text.splitlines()), 3)


if __name__ == "__main__":
  absltest.main()
