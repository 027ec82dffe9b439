"""The training figures name the split a run evaluated: validation when it held one out, test
after a refit (no validation split)."""
import json
import os
import tempfile
from unittest import mock

from absl.testing import absltest, parameterized

from rnnjax.reports import curves

RECORDS = [{"step": s, "train/loss": 1.0 / s, "train/objective": 1.0 / s, "train/accuracy": 0.5,
            "eval/loss": 1.2 / s, "eval/accuracy": 0.4} for s in (10, 20)]


def legend_texts(fig) -> list[str]:
  return [t.get_text() for ax in fig.axes for t in ax.get_legend().get_texts()]


class CurvesTest(parameterized.TestCase):

  def draw(self, hparams: dict, draw) -> object:
    """Writes a metrics.jsonl with `hparams`, calls draw(workdir) and returns its figure."""
    tmp = tempfile.TemporaryDirectory()
    self.addCleanup(tmp.cleanup)
    workdir = tmp.name
    with open(os.path.join(workdir, curves.METRICS_FILE), "w") as f:
      f.writelines(json.dumps(r) + "\n" for r in [{"hparams": hparams}, *RECORDS])
    with mock.patch.object(curves.plt, "close") as close:    # keep the figure to read it
      draw(workdir)
    return close.call_args.args[0]

  @parameterized.named_parameters(("held_out", {"eval_split": "validation"}, "validation"),
                                  ("refit", {}, "test"))
  def test_both_figures_name_the_evaluated_split(self, hparams, split):
    curves_fig = self.draw(hparams, lambda w: curves.training_curves(
        os.path.join(w, curves.METRICS_FILE), os.path.join(w, "curves.png")))
    self.assertEqual(legend_texts(curves_fig), ["train (objective)", f"{split} (data loss)",
                                                "train (since last eval)", split])
    history = self.draw(hparams, lambda w: curves.history_figure(w, steps_per_epoch=10))
    self.assertEqual(legend_texts(history), ["Training acc", f"{split.capitalize()} acc",
                                             "Training loss", f"{split.capitalize()} loss"])
    self.assertEqual([ax.get_title() for ax in history.axes],
                     [f"Training and {split} accuracy", f"Training and {split} loss"])


if __name__ == "__main__":
  absltest.main()
