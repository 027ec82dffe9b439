"""Sentence-pair loader on fixture files written by the tests (Keras and PyTorch layouts)."""
import os
import tempfile

from absl.testing import absltest, parameterized

from rnnjax.data import common, pairs

# Keras' fra.txt layout: three fields, a narrow no-break space before "!" as in the real file.
KERAS_LINES = [
    "Go.\tVa\u202f!\tCC-BY 2.0 (France) Attribution: tatoeba.org #2877272 (CM) & #1158250",
    "Go.\tMarche.\tCC-BY 2.0 (France) Attribution: tatoeba.org #2877272 (CM) & #8090732",
    "Hi.\tSalut !\tCC-BY 2.0 (France) Attribution: tatoeba.org #538123 (CM) & #509819",
    "I'm cold.\tJ'ai froid.\tCC-BY 2.0 (France) Attribution: tatoeba.org #1",
    "It costs 3.50 euros.\tÇa coûte 3,50 euros.\tCC-BY 2.0 (France) Attribution: tatoeba.org #2",
    "We'll see.\tOn verra.\tCC-BY 2.0 (France) Attribution: tatoeba.org #3",
    "",
]
# PyTorch's data/eng-fra.txt layout: two fields.
TORCH_LINES = [f"sentence {i} is here.\tphrase {i} est là." for i in range(40)]


def write(folder: str, name: str, lines, raw: bytes = b"") -> str:
  path = os.path.join(folder, name)
  os.makedirs(os.path.dirname(path), exist_ok=True)
  with open(path, "wb") as f:
    f.write(("\n".join(lines) + "\n").encode("utf-8") + raw)
  return path


class PairsTest(parameterized.TestCase):

  def setUp(self):
    super().setUp()
    tmp = tempfile.TemporaryDirectory()          # absltest's create_tempdir needs parsed flags
    self.addCleanup(tmp.cleanup)
    self.dir = tmp.name

  def test_reads_keras_three_field_file(self):
    write(self.dir, "fra.txt", KERAS_LINES)
    data = pairs.load(self.dir, validation_fraction=0.0, test_fraction=0.0)
    self.assertEqual(data.train[0], ("Go.", "Va\u202f!"))
    self.assertEqual(len(data.train), 6)
    self.assertEqual(data.skipped, 0)
    self.assertEqual(data.origin, os.path.join(self.dir, "fra.txt"))

  def test_reads_pytorch_layout_and_file_path(self):
    path = write(self.dir, os.path.join("data", "eng-fra.txt"), TORCH_LINES)
    by_dir = pairs.load(self.dir)
    by_file = pairs.load(path)
    self.assertEqual(by_dir, by_file)
    self.assertEqual(sum(len(s) for s in (by_dir.train, by_dir.validation, by_dir.test)), 40)

  def test_missing_file_names_the_flag(self):
    with self.assertRaisesRegex(common.DataNotFoundError, r"--data_dir=.*fra\.txt"):
      pairs.load(self.dir)
    with self.assertRaisesRegex(common.DataNotFoundError, "deu.txt"):
      pairs.load(self.dir, "deu.txt")

  @parameterized.named_parameters(
      ("one_field", "just one field", r"found 1 tab-separated fields"),
      ("four_fields", "a\tb\tc\td", r"found 4 tab-separated fields"),
      ("empty_target", "Go.\t \tx", r"empty target"))
  def test_bad_line_raises_with_file_and_line(self, line, message):
    path = write(self.dir, "fra.txt", KERAS_LINES[:3] + [line] + KERAS_LINES[3:])
    with self.assertRaisesRegex(ValueError, f"{path}:4: .*{message}.*on_bad_line='skip'"):
      pairs.load(self.dir)

  def test_invalid_utf8_raises_with_line(self):
    path = write(self.dir, "fra.txt", KERAS_LINES[:2], raw=b"caf\xe9\tcafe\n")
    with self.assertRaisesRegex(ValueError, f"{path}:3: not valid UTF-8"):
      pairs.read_pairs(path)

  def test_bad_lines_skipped_and_counted(self):
    path = write(self.dir, "fra.txt", ["oops"] + KERAS_LINES + ["a\tb\tc\td"], raw=b"\xff\tx\n")
    read, skipped = pairs.read_pairs(path, on_bad_line="skip")
    self.assertEqual((len(read), skipped), (6, 3))
    data = pairs.load(self.dir, on_bad_line="skip")
    self.assertEqual(data.skipped, 3)
    with self.assertRaisesRegex(ValueError, "on_bad_line must be one of"):
      pairs.read_pairs(path, on_bad_line="ignore")

  def test_normalisation_and_filters(self):
    write(self.dir, "fra.txt", KERAS_LINES)
    data = pairs.load(self.dir, lowercase=True, punctuation=True, validation_fraction=0.0,
                      test_fraction=0.0)
    self.assertEqual(data.train[0], ("go .", "va !"))
    self.assertEqual(data.train[3], ("i'm cold .", "j'ai froid ."))
    self.assertEqual(data.train[4], ("it costs 3.50 euros .", "ça coûte 3,50 euros ."))
    swapped = pairs.load(self.dir, swap=True, max_length=2, max_pairs=3, validation_fraction=0.0,
                         test_fraction=0.0)
    self.assertEqual(swapped.train, (("Va\u202f!", "Go."), ("Marche.", "Go."),
                                     ("Salut !", "Hi.")))
    short = pairs.load(self.dir, max_length=1, validation_fraction=0.0, test_fraction=0.0)
    self.assertEqual(short.train, (("Go.", "Marche."),))   # "Va\u202f!" is two words

  def test_split_is_deterministic_disjoint_and_by_source(self):
    lines = TORCH_LINES + [f"sentence {i} is here.\tautre {i}." for i in range(0, 40, 3)]
    write(self.dir, "eng-fra.txt", lines)
    a = pairs.load(self.dir, seed=3, validation_fraction=0.2, test_fraction=0.25)
    self.assertEqual(a, pairs.load(self.dir, seed=3, validation_fraction=0.2, test_fraction=0.25))
    self.assertNotEqual(a, pairs.load(self.dir, seed=4, validation_fraction=0.2,
                                      test_fraction=0.25))
    sources = [{s for s, _ in split} for split in (a.train, a.validation, a.test)]
    self.assertEqual([len(s) for s in sources], [22, 8, 10])       # of 40 distinct sources
    self.assertFalse(sources[0] & sources[1] or sources[0] & sources[2] or sources[1] & sources[2])
    self.assertEqual(sum(len(s) for s in (a.train, a.validation, a.test)), len(lines))

  def test_bad_fractions_raise(self):
    with self.assertRaisesRegex(ValueError, "test_fraction must be in"):
      pairs.split_pairs([("a", "b")], test_fraction=1.0)
    with self.assertRaisesRegex(ValueError, "must be < 1"):
      pairs.split_pairs([("a", "b")], validation_fraction=0.5, test_fraction=0.5)

  def test_split_punctuation_keeps_inner_marks(self):
    self.assertEqual(pairs.split_punctuation("Peut-être, don't (3.14)?"),
                     "Peut-être , don't ( 3.14 ) ?")
    self.assertEqual(pairs.split_punctuation("« Oui »,dit-il."), "« Oui » , dit-il .")

  def test_references_group_targets_by_source(self):
    grouped = pairs.references([("Go.", "Va !"), ("Hi.", "Salut !"), ("Go.", "Marche.")])
    self.assertEqual(grouped, [("Go.", ["Va !", "Marche."]), ("Hi.", ["Salut !"])])


if __name__ == "__main__":
  absltest.main()
