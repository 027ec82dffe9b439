"""Built-in date-normalisation and addition tasks."""
import datetime
import re

from absl.testing import absltest, parameterized

from rnnjax.data import translation_tasks as tasks

DAY = datetime.date(2021, 3, 3)   # a Wednesday


class DatesTest(parameterized.TestCase):

  @parameterized.named_parameters((name, name, text) for name, text in (
      ("en_day_month_year", "3 March 2021"), ("en_abbr_day_year", "Mar 3, 2021"),
      ("en_weekday_long", "Wednesday, March 3, 2021"), ("en_weekday_short", "Wed 3 Mar 2021"),
      ("en_ordinal", "March 3rd, 2021"), ("en_us_numeric", "03/03/21"),
      ("fr_weekday", "mercredi 3 mars 2021"), ("fr_numeric", "03/03/2021"),
      ("de_day_month_year", "3. März 2021"), ("de_short_numeric", "3.3.21"),
      ("es_weekday", "miércoles, 3 de marzo de 2021"), ("iso", "2021-03-03")))
  def test_formats(self, name, text):
    self.assertEqual(tasks.format_date(DAY, name), text)

  def test_special_days(self):
    first = datetime.date(1999, 12, 1)
    self.assertEqual(tasks.format_date(first, "fr_le"), "le 1er décembre 1999")
    self.assertEqual(tasks.format_date(first, "en_the_ordinal"), "the 1st of December 1999")
    self.assertEqual(tasks.format_date(datetime.date(2012, 8, 12), "en_ordinal"),
                     "August 12th, 2012")
    self.assertEqual(tasks.format_date(datetime.date(2049, 11, 22), "de_weekday"),
                     "Montag, 22. November 2049")

  def test_every_source_has_one_target(self):
    # Every format, over many dates: no text is written for two different dates.
    seen = {}
    for offset in range(0, 36_524, 7):
      date = tasks.FIRST_DATE + datetime.timedelta(days=offset)
      for name in tasks.DATE_FORMATS:
        text = tasks.format_date(date, name)
        self.assertEqual(seen.setdefault(text, date), date, f"{text!r} ({name}) is ambiguous")

  def test_splits_sizes_disjoint_and_deterministic(self):
    data = tasks.dates(300, 50, 60, seed=1)
    self.assertEqual((len(data.train), len(data.validation), len(data.test)), (300, 50, 60))
    sources = [s for split in (data.train, data.validation, data.test) for s, _ in split]
    self.assertLen(set(sources), 410)
    self.assertEqual(data, tasks.dates(300, 50, 60, seed=1))
    self.assertNotEqual(data.train, tasks.dates(300, 50, 60, seed=2).train)
    for source, target in data.test:
      self.assertRegex(target, r"^(19[5-9]\d|20[0-4]\d)-\d\d-\d\d$")
      self.assertTrue(source)

  def test_languages(self):
    data = tasks.dates(200, 0, 0, languages=("de",))
    self.assertTrue(all(re.search(r"\d\.", s) for s, _ in data.train))
    with self.assertRaisesRegex(ValueError, "languages must be a non-empty subset"):
      tasks.dates(10, 0, 0, languages=("it",))


class AdditionTest(parameterized.TestCase):

  def test_pairs_are_sums(self):
    data = tasks.addition(500, 100, 100, max_digits=3, seed=0)
    for split in (data.train, data.validation, data.test):
      for source, target in split:
        self.assertRegex(source, r"^\d{1,3}\+\d{1,3}$")
        a, b = source.split("+")
        self.assertEqual(target, str(int(a) + int(b)))
    sources = [s for split in (data.train, data.validation, data.test) for s, _ in split]
    self.assertLen(set(sources), 700)

  def test_operand_widths_cover_one_to_max_digits(self):
    data = tasks.addition(2000, 0, 0, max_digits=4, seed=3)
    widths = {len(a) for s, _ in data.train for a in s.split("+")}
    self.assertEqual(widths, {1, 2, 3, 4})

  def test_too_many_examples_raises(self):
    # 1-digit operands give only 100 distinct sums.
    self.assertLen(tasks.addition(90, 5, 5, max_digits=1).train, 90)
    with self.assertRaisesRegex(ValueError, "could not draw 101 distinct sums"):
      tasks.addition(91, 5, 5, max_digits=1)
    with self.assertRaisesRegex(ValueError, "max_digits must be >= 1"):
      tasks.addition(1, 0, 0, max_digits=0)


if __name__ == "__main__":
  absltest.main()
