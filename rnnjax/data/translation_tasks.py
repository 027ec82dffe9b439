"""Built-in offline sequence-to-sequence tasks, generated from a seed (no external data):

- `dates`: human-written dates in English, French, German and Spanish -> ISO 8601 `YYYY-MM-DD`
  ("3 March 2021", "Mar 3, 2021", "03/03/21", "mercredi 3 mars 2021", "3. März 2021",
  "miércoles, 3 de marzo de 2021" -> "2021-03-03"), the date-normalisation exercise of the
  attention tutorials (Coursera's "Neural machine translation with attention").
- `addition`: "535+61" -> "596", operands of 1..max_digits digits, as Keras' addition_rnn example
  ("Learning to execute", Zaremba & Sutskever 2014) and Flax's seq2seq example.

Both return `rnnjax.data.pairs.PairSplits` whose sources are all distinct: no source string is in
two splits (nor twice in one). Each source has exactly one target: every date format is
unambiguous (numeric forms are month-first with a 2-digit year in English, MM/DD/YY, and
day-first with a 4-digit year or with dots elsewhere), and dates lie in 1950..2049, so a 2-digit
year YY means 19YY for YY >= 50 and 20YY otherwise.
"""
from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence

import numpy as np

from rnnjax.data.pairs import PairSplits

LANGUAGES = ("en", "fr", "de", "es")
FIRST_DATE, LAST_DATE = datetime.date(1950, 1, 1), datetime.date(2049, 12, 31)

MONTHS = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"),
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
           "octobre", "novembre", "décembre"),
    "de": ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September",
           "Oktober", "November", "Dezember"),
    "es": ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre",
           "octubre", "noviembre", "diciembre"),
}
MONTH_ABBREVIATIONS = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "fr": ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.",
           "nov.", "déc."),
}
WEEKDAYS = {   # Monday first, as datetime.date.weekday()
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    "de": ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"),
    "es": ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
}


def _ordinal_en(day: int) -> str:
  suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
  return f"{day}{suffix}"


def _day_fr(day: int) -> str:
  return "1er" if day == 1 else str(day)


def _formats() -> dict[str, tuple[str, Callable[[datetime.date], str]]]:
  """name -> (language, date -> text)."""
  month = lambda lang, d: MONTHS[lang][d.month - 1]                    # noqa: E731
  abbr = lambda lang, d: MONTH_ABBREVIATIONS[lang][d.month - 1]        # noqa: E731
  weekday = lambda lang, d: WEEKDAYS[lang][d.weekday()]                # noqa: E731
  return {
      "en_day_month_year": ("en", lambda d: f"{d.day} {month('en', d)} {d.year}"),
      "en_month_day_year": ("en", lambda d: f"{month('en', d)} {d.day}, {d.year}"),
      "en_abbr_day_year": ("en", lambda d: f"{abbr('en', d)} {d.day}, {d.year}"),
      "en_day_abbr_year": ("en", lambda d: f"{d.day} {abbr('en', d)} {d.year}"),
      "en_weekday_long": ("en", lambda d: f"{weekday('en', d)}, {month('en', d)} {d.day}, "
                                          f"{d.year}"),
      "en_weekday_short": ("en", lambda d: f"{weekday('en', d)[:3]} {d.day} {abbr('en', d)} "
                                           f"{d.year}"),
      "en_ordinal": ("en", lambda d: f"{month('en', d)} {_ordinal_en(d.day)}, {d.year}"),
      "en_the_ordinal": ("en", lambda d: f"the {_ordinal_en(d.day)} of {month('en', d)} "
                                         f"{d.year}"),
      "en_us_numeric": ("en", lambda d: f"{d.month:02d}/{d.day:02d}/{d.year % 100:02d}"),
      "iso": ("en", lambda d: d.isoformat()),
      "fr_day_month_year": ("fr", lambda d: f"{_day_fr(d.day)} {month('fr', d)} {d.year}"),
      "fr_weekday": ("fr", lambda d: f"{weekday('fr', d)} {_day_fr(d.day)} {month('fr', d)} "
                                     f"{d.year}"),
      "fr_le": ("fr", lambda d: f"le {_day_fr(d.day)} {month('fr', d)} {d.year}"),
      "fr_abbr": ("fr", lambda d: f"{_day_fr(d.day)} {abbr('fr', d)} {d.year}"),
      "fr_numeric": ("fr", lambda d: f"{d.day:02d}/{d.month:02d}/{d.year}"),
      "de_day_month_year": ("de", lambda d: f"{d.day}. {month('de', d)} {d.year}"),
      "de_weekday": ("de", lambda d: f"{weekday('de', d)}, {d.day}. {month('de', d)} {d.year}"),
      "de_am": ("de", lambda d: f"am {d.day}. {month('de', d)} {d.year}"),
      "de_numeric": ("de", lambda d: f"{d.day:02d}.{d.month:02d}.{d.year}"),
      "de_short_numeric": ("de", lambda d: f"{d.day}.{d.month}.{d.year % 100:02d}"),
      "es_day_month_year": ("es", lambda d: f"{d.day} de {month('es', d)} de {d.year}"),
      "es_weekday": ("es", lambda d: f"{weekday('es', d)}, {d.day} de {month('es', d)} de "
                                     f"{d.year}"),
      "es_el": ("es", lambda d: f"el {d.day} de {month('es', d)} de {d.year}"),
      "es_numeric": ("es", lambda d: f"{d.day:02d}/{d.month:02d}/{d.year}"),
  }


DATE_FORMATS = _formats()


def format_date(date: datetime.date, name: str) -> str:
  """`date` written in format `name` (a key of DATE_FORMATS)."""
  if name not in DATE_FORMATS:
    raise ValueError(f"name must be one of {sorted(DATE_FORMATS)}; got {name!r}.")
  return DATE_FORMATS[name][1](date)


def _unique_pairs(draw: Callable[[np.random.Generator, int], list[tuple[str, str]]],
                  sizes: Sequence[int], seed: int, what: str, origin: str) -> PairSplits:
  """Draws pairs (`draw(rng, n)` gives n) until sum(sizes) distinct sources; splits them in draw
  order."""
  for name, n in zip(("num_train", "num_validation", "num_test"), sizes):
    if n < 0:
      raise ValueError(f"{name} must be >= 0; got {n}.")
  total, rng = sum(sizes), np.random.default_rng(seed)
  pairs: dict[str, str] = {}
  for _ in range(50):
    if len(pairs) == total:
      break
    for source, target in draw(rng, total - len(pairs) + 16):
      if len(pairs) < total:
        pairs.setdefault(source, target)
  if len(pairs) < total:
    raise ValueError(f"could not draw {total} distinct {what} (got {len(pairs)}); ask for fewer "
                     "examples or widen the task.")
  items = list(pairs.items())
  cut = np.cumsum(sizes)
  return PairSplits(tuple(items[:cut[0]]), tuple(items[cut[0]:cut[1]]),
                    tuple(items[cut[1]:cut[2]]), origin=origin)


def dates(num_train: int = 20_000, num_validation: int = 2_000, num_test: int = 2_000, *,
          seed: int = 0, languages: Sequence[str] = LANGUAGES) -> PairSplits:
  """Date normalisation: (human date, "YYYY-MM-DD") pairs, a uniform date in 1950..2049 written in
  a uniform format of `languages` (the ISO format counts as English)."""
  unknown = sorted(set(languages) - set(LANGUAGES))
  if unknown or not languages:
    raise ValueError(f"languages must be a non-empty subset of {LANGUAGES}; got {languages}.")
  names = [n for n, (lang, _) in DATE_FORMATS.items() if lang in languages]
  span = (LAST_DATE - FIRST_DATE).days + 1

  def draw(rng, n):
    days, formats = rng.integers(span, size=n), rng.integers(len(names), size=n)
    out = []
    for day, index in zip(days.tolist(), formats.tolist()):
      date = FIRST_DATE + datetime.timedelta(days=day)
      out.append((format_date(date, names[index]), date.isoformat()))
    return out

  return _unique_pairs(draw, (num_train, num_validation, num_test), seed, "dates", "dates")


def addition(num_train: int = 50_000, num_validation: int = 2_000, num_test: int = 2_000, *,
             max_digits: int = 3, seed: int = 0) -> PairSplits:
  """Integer addition: ("a+b", "a+b's value") pairs. Each operand has a uniform number of digits
  in 1..max_digits, then uniform digits (so leading zeros shorten it), as Keras' addition_rnn."""
  if max_digits < 1:
    raise ValueError(f"max_digits must be >= 1; got {max_digits}.")

  def operands(rng, n) -> list[int]:
    widths = rng.integers(1, max_digits + 1, size=n)                      # [n]
    digits = rng.integers(0, 10, size=(n, max_digits))                    # [n, max_digits]
    keep = np.arange(max_digits)[None, :] < widths[:, None]               # the first widths[i]
    values = (digits * keep * 10 ** np.arange(max_digits)[None, :]).sum(axis=1)
    return values.tolist()

  def draw(rng, n):
    return [(f"{a}+{b}", str(a + b)) for a, b in zip(operands(rng, n), operands(rng, n))]

  return _unique_pairs(draw, (num_train, num_validation, num_test), seed, "sums", "addition")


TASKS = {"dates": dates, "addition": addition}
