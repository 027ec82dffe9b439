"""IMDB loader: a tiny aclImdb tree and archive, vocabulary rules, caching, TFDS mock, real data."""
import glob
import os
import tarfile
import tempfile
import urllib.request
from unittest import mock

import numpy as np
import pytest
from absl.testing import absltest, parameterized

import conftest
from rnnjax.data import common, imdb, splits
from test_data_common import assert_short_and_unchained

# Training counts: bad 3, fun 3, great 3, film 2, movie 2, boring 1 (ties broken by word).
REVIEWS = {
    "train/neg/0_1.txt": "Bad bad movie.",
    "train/neg/1_2.txt": "Boring film, BAD!",
    "train/pos/0_9.txt": "Great great movie<br /><br />GREAT fun",
    "train/pos/1_8.txt": "fun fun film 10/10",
    "test/neg/0_3.txt": "1984",                     # no letters: an empty review
    "test/neg/1_4.txt": "movie bad fun great boring",
    "test/pos/0_10.txt": "great unseenword",
}


# train/urls_<name>.txt: line i is the film of review i (neg 0 and pos 0 share film tt01).
URLS = {"train/urls_neg.txt": "http://www.imdb.com/title/tt01/usercomments\n"
                              "http://www.imdb.com/title/tt02/usercomments\n",
        "train/urls_pos.txt": "http://www.imdb.com/title/tt01/usercomments\n"
                              "http://www.imdb.com/title/tt03/usercomments\n"}


def write_tree(root: str, urls: bool = True) -> str:
  """Writes REVIEWS (and URLS) as root/aclImdb/...; returns that folder."""
  for rel, text in {**REVIEWS, **(URLS if urls else {})}.items():
    path = os.path.join(root, "aclImdb", rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
      f.write(text)
  return os.path.join(root, "aclImdb")


def rows(split: splits.Split) -> list[list[int]]:
  """Each row's ids up to its length, in split order."""
  return [list(x[:n]) for x, n in zip(split.inputs, split.lengths)]


class ImdbTest(parameterized.TestCase):

  def setUp(self):
    super().setUp()
    tmp = tempfile.TemporaryDirectory()          # absltest's create_tempdir needs parsed flags
    self.addCleanup(tmp.cleanup)
    self.root = os.path.join(tmp.name, "data")
    self.cache = os.path.join(tmp.name, "cache")

  def load(self, **kwargs):
    kwargs = {"vocab_size": 5, "max_len": 4, "validation_fraction": 0.0, **kwargs}
    return imdb.load(self.root, cache_dir=self.cache, **kwargs)

  def test_tokenize_lowercases_strips_breaks_and_keeps_inner_apostrophes(self):
    self.assertEqual(imdb.tokenize("'Hello' DON'T<br />stop1980s rock'n'roll, Café."),
                     ["hello", "don't", "stop", "s", "rock'n'roll", "café"])

  def test_tokenize_with_digits_keeps_numbers_as_words(self):
    self.assertEqual(imdb.tokenize("Rated 7/10: stop1980s, DON'T!", digits=True),
                     ["rated", "7", "10", "stop1980s", "don't"])
    self.assertEqual(imdb.tokenize("Rated 7/10", digits=False), ["rated"])

  def test_digits_change_the_vocabulary_and_the_cache_key(self):
    write_tree(self.root)
    plain, numbered = self.load(vocab_size=6), self.load(vocab_size=6, digits=True)
    self.assertLen(glob.glob(os.path.join(self.cache, "tokens_*.npz")), 2)
    # Words 2.. by count: bad, fun, great, then the count-2 ties by word: "10" with digits,
    # else "film". "fun fun film 10/10" keeps its last 4 tokens.
    self.assertIn([3, 1, 5, 5], rows(numbered.train))
    self.assertIn([3, 3, 5], rows(plain.train))
    self.assertEqual(rows(self.load(vocab_size=6).train), rows(plain.train))   # from the cache

  def test_vocabulary_keeps_most_frequent_after_pad_and_unk(self):
    tokens = [imdb.tokenize(t) for r, t in REVIEWS.items() if r.startswith("train")]
    self.assertEqual(imdb.build_vocab(tokens, 5), {"bad": 2, "fun": 3, "great": 4})
    self.assertEqual(imdb.build_vocab(tokens, 7)["movie"], 6)

  def test_ids_lengths_and_labels(self):
    write_tree(self.root)
    data = self.load()
    self.assertEqual(data.train.inputs.shape, (4, 4))
    self.assertEqual(data.train.inputs.dtype, np.int32)
    self.assertEqual(data.test.lengths.dtype, np.int32)
    self.assertEqual((data.num_classes, data.feature_dim), (1, 5))
    self.assertEqual(data.class_names, ("neg", "pos"))
    self.assertTrue((data.train.inputs < 5).all())
    # Test split order: neg by id, then pos. Unknown words -> 1; empty review -> [1].
    self.assertEqual(rows(data.test), [[1], [2, 3, 4, 1], [4, 1]])
    np.testing.assert_array_equal(data.test.labels, [0, 0, 1])
    np.testing.assert_array_equal(data.test.inputs[0], [1, 0, 0, 0])   # right-padded with 0
    self.assertCountEqual(map(tuple, rows(data.train)),
                          [(2, 2, 1), (1, 1, 2), (4, 1, 4, 3), (3, 3, 1)])

  def test_long_reviews_keep_their_last_tokens(self):
    write_tree(self.root)
    data = self.load(max_len=3)
    self.assertEqual(rows(data.test)[1], [3, 4, 1])       # "... fun great boring"
    self.assertEqual(data.test.inputs.shape, (3, 3))
    self.assertTrue((data.train.lengths <= 3).all() and (data.train.lengths >= 1).all())

  def test_validation_split_is_disjoint_and_fixed_by_seed(self):
    write_tree(self.root)
    a, b = self.load(validation_fraction=0.5, seed=1), self.load(validation_fraction=0.5, seed=1)
    self.assertLen(a.train, 2)
    self.assertLen(a.validation, 2)
    np.testing.assert_array_equal(a.validation.inputs, b.validation.inputs)
    both = sorted(map(tuple, rows(a.train) + rows(a.validation)))
    self.assertEqual(both, sorted(map(tuple, rows(self.load().train))))

  def test_validation_by_film_holds_out_whole_films(self):
    write_tree(self.root)
    data = self.load(validation_fraction=0.5, validation_by="film", seed=0)
    by_ids = {(2, 2, 1): "tt01", (1, 1, 2): "tt02", (4, 1, 4, 3): "tt01", (3, 3, 1): "tt03"}
    held = {by_ids[tuple(r)] for r in rows(data.validation)}
    kept = {by_ids[tuple(r)] for r in rows(data.train)}
    self.assertEmpty(held & kept)                       # no film on both sides
    self.assertGreaterEqual(len(data.validation), 2)    # at least the fraction, whole films
    self.assertLen(data.train, 4 - len(data.validation))
    for seed in range(4):                               # tt01's two reviews always together
      split = self.load(validation_fraction=0.25, validation_by="film", seed=seed)
      self.assertNotEqual(len(split.validation), 3)
      self.assertEqual(len(split.validation) == 2,
                       (2, 2, 1) in map(tuple, rows(split.validation)))

  def test_validation_by_film_needs_the_url_files(self):
    write_tree(self.root, urls=False)
    with self.assertRaisesRegex(ValueError, "validation_by='film' needs train/urls_pos.txt"):
      self.load(validation_fraction=0.5, validation_by="film")
    with self.assertRaisesRegex(ValueError, r"validation_by='movie' must be one of"):
      self.load(validation_fraction=0.5, validation_by="movie")

  def test_second_load_reads_the_cache(self):
    write_tree(self.root)
    first = self.load()
    with mock.patch.object(imdb, "read_tree", side_effect=AssertionError("not cached")):
      second = self.load()
    np.testing.assert_array_equal(first.test.inputs, second.test.inputs)
    np.testing.assert_array_equal(first.train.labels, second.train.labels)
    self.assertLen([f for f in os.listdir(self.cache) if f.endswith(".npz")], 1)
    self.load(vocab_size=6)                               # other settings: another cache file
    self.assertLen([f for f in os.listdir(self.cache) if f.endswith(".npz")], 2)

  @parameterized.named_parameters(("gz", "w:gz", "aclImdb_v1.tar.gz"),
                                  ("xz", "w:xz", "aclImdb_v1_labeled.tar.xz"))
  def test_archive_is_read_in_place_then_cached(self, mode, name):
    staging = write_tree(os.path.join(self.cache + "_staging"))
    os.makedirs(self.root)
    with tarfile.open(os.path.join(self.root, name), mode) as tar:
      tar.add(staging, arcname="aclImdb")
    from_archive = self.load()
    self.assertEqual(rows(from_archive.test), [[1], [2, 3, 4, 1], [4, 1]])
    self.assertNotIn("aclImdb", os.listdir(self.cache))   # nothing extracted
    with mock.patch.object(imdb, "read_archive", side_effect=AssertionError("not cached")):
      self.load()
    from_tree = imdb.load(self.cache + "_staging", cache_dir=self.cache + "_tree",
                          vocab_size=5, max_len=4, validation_fraction=0.0)
    np.testing.assert_array_equal(from_archive.train.inputs, from_tree.train.inputs)
    films = dict(vocab_size=5, max_len=4, validation_fraction=0.5, validation_by="film")
    np.testing.assert_array_equal(   # the archive's url files give the same films
        imdb.load(self.root, cache_dir=self.cache, **films).validation.inputs,
        imdb.load(self.cache + "_staging", cache_dir=self.cache + "_tree", **films)
        .validation.inputs)

  def test_corrupt_archive_raises_value_error(self):
    os.makedirs(self.root)
    with open(os.path.join(self.root, "aclImdb_v1.tar.gz"), "wb") as f:
      f.write(b"\x1f\x8b\x08\x00 not really gzip")
    with self.assertRaisesRegex(ValueError, "corrupt archive.*delete it to download it "
                                            "again") as cm:
      self.load()
    assert_short_and_unchained(self, cm.exception)

  def test_offline_empty_folder_names_flag_and_layout(self):
    os.makedirs(self.root)
    offline = mock.patch.object(urllib.request, "urlopen", side_effect=OSError("offline"))
    with offline, self.assertRaises(common.DataNotFoundError) as cm:
      self.load()
    self.assertIn("--data_dir", str(cm.exception))
    self.assertIn("aclImdb/{train,test}/{pos,neg}/<id>_<rating>.txt", str(cm.exception))
    assert_short_and_unchained(self, cm.exception)

  def test_missing_data_dir_is_not_created(self):
    with self.assertRaisesRegex(common.DataNotFoundError, "does not exist"):
      self.load()
    self.assertFalse(os.path.exists(self.root))

  @parameterized.named_parameters(
      ("one", 1.0, ValueError, r"validation_fraction=1.0 must be in \[0, 1\)"),
      ("negative", -0.1, ValueError, r"validation_fraction=-0.1 must be in \[0, 1\)"),
      ("nan", float("nan"), ValueError, r"validation_fraction=nan must be in"),
      ("string", "0.2", TypeError, r"validation_fraction='0.2' must be a number"),
      ("bool", True, TypeError, r"validation_fraction=True must be a number"),
      ("holds_out_none", 0.1, ValueError, r"validation_fraction=0.1 of 4 training reviews "
                                          r"holds out 0"),
  )
  def test_bad_validation_fraction_is_named(self, value, error, pattern):
    write_tree(self.root)
    with self.assertRaisesRegex(error, pattern):
      self.load(validation_fraction=value)

  def test_validation_fraction_is_checked_before_reading(self):
    with mock.patch.object(imdb, "read_tree", side_effect=AssertionError("read")), \
        self.assertRaisesRegex(ValueError, "validation_fraction=2"):
      self.load(validation_fraction=2)

  def test_tfds_mock_data_without_tensorflow(self):
    import tensorflow_datasets as tfds
    with tfds.testing.mock_data(num_examples=10):
      data = imdb.load_tfds(vocab_size=20, max_len=6, validation_fraction=0.2)
    self.assertEqual(data.train.inputs.shape, (8, 6))
    self.assertLen(data.validation, 2)
    self.assertEqual(data.test.inputs.dtype, np.int32)
    self.assertTrue((data.test.inputs < 20).all() and (data.test.lengths >= 1).all())
    self.assertTrue(set(np.unique(data.test.labels)) <= {0, 1})


class ImdbRealDataTest(absltest.TestCase):

  @pytest.mark.slow
  def test_real_counts(self):
    archive_dir = conftest.shared_data("imdb")
    with tempfile.TemporaryDirectory() as cache:
      data = imdb.load(archive_dir, cache_dir=cache)
    self.assertEqual((len(data.train), len(data.validation), len(data.test)),
                     (20000, 5000, 25000))
    self.assertEqual(data.test.inputs.shape, (25000, 500))
    self.assertEqual(int(data.test.labels.sum()), 12500)
    self.assertEqual(int(data.train.labels.sum() + data.validation.labels.sum()), 12500)
    self.assertLess(int(data.train.inputs.max()), 10000)
    self.assertGreaterEqual(int(data.train.lengths.min()), 1)


if __name__ == "__main__":
  absltest.main()
