"""Data folders and downloads shared by every loader: bad --data_dir values, offline runs, the
download cache (the only place rnnjax creates folders) and short, unchained error messages."""
import os
import tempfile
import traceback
import urllib.error
import urllib.request
from unittest import mock

from absl.testing import absltest, parameterized

from rnnjax.data import common, imdb, jena, mnist, uci_har

LOADERS = (("uci_har", uci_har.load), ("mnist", mnist.load), ("imdb", imdb.load),
           ("jena", jena.load))


def assert_short_and_unchained(test: absltest.TestCase, error: BaseException) -> None:
  """The error is raised `from None` and its whole traceback fits on one screen."""
  test.assertIsNone(error.__cause__)
  test.assertTrue(error.__suppress_context__ or error.__context__ is None)
  text = "".join(traceback.format_exception(error))
  test.assertNotIn("During handling of the above exception", text)
  test.assertNotIn("direct cause", text)
  test.assertLess(len(text.splitlines()), 30, text)


class DataDirTest(parameterized.TestCase):

  def setUp(self):
    super().setUp()
    tmp = tempfile.TemporaryDirectory()          # absltest's create_tempdir needs parsed flags
    self.addCleanup(tmp.cleanup)
    self.tmp = tmp.name
    self.cache = os.path.join(self.tmp, "cache")
    self.enter_context(mock.patch.dict(os.environ, {common.CACHE_ENV: self.cache}))
    self.urlopen = self.enter_context(mock.patch.object(
        urllib.request, "urlopen", side_effect=urllib.error.URLError("offline (test)")))

  @parameterized.named_parameters(*LOADERS)
  def test_missing_data_dir_is_refused_and_not_created(self, load):
    missing = os.path.join(self.tmp, "typo", "data")
    with self.assertRaises(common.DataNotFoundError) as cm:
      load(missing)
    message = str(cm.exception)
    self.assertIn(f"--data_dir={missing} does not exist (a typo?)", message)
    self.assertIn("download cache", message)
    self.assertFalse(os.path.exists(os.path.join(self.tmp, "typo")))   # nothing created
    self.assertFalse(os.path.exists(self.cache))
    self.urlopen.assert_not_called()
    assert_short_and_unchained(self, cm.exception)

  @parameterized.named_parameters(("mnist", mnist.load), ("imdb", imdb.load),
                                  ("jena", jena.load))
  def test_file_as_data_dir_is_refused(self, load):
    path = os.path.join(self.tmp, "notes.txt")
    with open(path, "w") as f:
      f.write("not a folder\n")
    with self.assertRaisesRegex(common.DataNotFoundError,
                                f"--data_dir={path} is a file, not a folder: pass the folder "
                                "holding") as cm:
      load(path)
    assert_short_and_unchained(self, cm.exception)
    self.urlopen.assert_not_called()

  @parameterized.named_parameters(*LOADERS)
  def test_offline_empty_folder_is_one_short_message(self, load):
    empty = os.path.join(self.tmp, "empty")
    os.makedirs(empty)
    with self.assertRaises(common.DataNotFoundError) as cm:
      load(empty)
    message = str(cm.exception)
    for needle in ("--data_dir", "could not be downloaded", "URLError: <urlopen error offline"):
      self.assertIn(needle, message)
    assert_short_and_unchained(self, cm.exception)
    leftovers = [f for _, _, files in os.walk(self.tmp) for f in files]
    self.assertEqual(leftovers, [])                # no partial download left behind

  @parameterized.named_parameters(*LOADERS)
  def test_unset_data_dir_uses_the_cache_which_may_be_created(self, load):
    with self.assertRaises(common.DataNotFoundError) as cm:
      load(None)
    self.assertIn(self.cache, str(cm.exception))
    self.assertTrue(os.path.isdir(self.cache))     # the download cache: the one place created
    assert_short_and_unchained(self, cm.exception)

  def test_cache_env_pointing_at_a_file_is_named(self):
    with open(self.cache, "w") as f:
      f.write("oops\n")
    with self.assertRaisesRegex(common.DataNotFoundError,
                                f"\\${common.CACHE_ENV}={self.cache} is a file, not a folder"):
      mnist.load()

  def test_unwritable_download_folder_is_a_clear_error(self):
    blocker = os.path.join(self.tmp, "blocker")
    with open(blocker, "w") as f:
      f.write("a file where the folder should be\n")
    with self.assertRaises(common.DataNotFoundError) as cm:
      common.download("https://example.invalid/x.gz", os.path.join(blocker, "x.gz"), None,
                      what="X", flag="--data_dir")
    self.assertIn("cannot be downloaded into", str(cm.exception))
    assert_short_and_unchained(self, cm.exception)
    self.urlopen.assert_not_called()

  def test_download_reason_is_the_network_error_on_one_line(self):
    with self.assertRaises(common.DataNotFoundError) as cm:
      common.download("https://example.invalid/x.gz", os.path.join(self.tmp, "x.gz"), None,
                      what="X", flag="--flag")
    self.assertEqual(cm.exception.reason, "URLError: <urlopen error offline (test)>")
    self.assertIn("--flag=<folder>", str(cm.exception))
    self.assertEqual(os.listdir(self.tmp), [])

  def test_tfds_data_dir_must_exist(self):
    missing = os.path.join(self.tmp, "tfds")
    with self.assertRaisesRegex(common.DataNotFoundError, "--data_dir=.*does not exist"):
      common.tfds_examples("mnist", "train", missing)
    self.assertFalse(os.path.exists(missing))

  def test_one_line_joins_lines_and_names_the_type(self):
    self.assertEqual(common.one_line(OSError("a\n  b")), "OSError: a b")
    self.assertEqual(common.one_line(EOFError()), "EOFError")


if __name__ == "__main__":
  absltest.main()
