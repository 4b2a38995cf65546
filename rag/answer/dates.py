"""Dates by code: the day words of a sentence ("on Tuesday", "yesterday", "18 July") made calendar dates from the
publication date of the article that says them.

News writes the day of an event relative to the story: "killed on Saturday" in a story dated Sunday 16 April 2017 is
15 April 2017, and "arrested on 18 July" in a story of 19 July 2013 is 18 July 2013. A question names the calendar
date, the article does not; the 1.5B model also adds the story's year to a day it copies ("18 July 2013"), which the
sentence alone does not state. Resolved only where it is safe: a weekday is the latest such day on or before the
publication date (within the week before it), a day and month without a year is the last such day on or before it,
and nothing is resolved without a publication date or when the cited articles' dates would give different days.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, timedelta

from rag.ingest.dates import MONTH_NUMBERS

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_MONTH = "|".join(sorted(MONTH_NUMBERS, key=len, reverse=True))
RELATIVE_DAY = re.compile(rf"\b(yesterday|today|tonight|{'|'.join(WEEKDAYS)})\b", re.IGNORECASE)
DAY_MONTH = re.compile(
    rf"\b(?:(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<month>{_MONTH})\.?|(?P<month2>{_MONTH})\.?\s+(?P<day2>\d{{1,2}})"
    rf"(?:st|nd|rd|th)?)(?![\d:])(?:,?\s+(?P<year>(?:19|20)\d\d))?",
    re.IGNORECASE,
)
YEAR = re.compile(r"\b(?:19|20)\d\d\b")
ISO_DATE = re.compile(r"\b(?:19|20)\d\d-\d\d-\d\d\b")


def relative_day(word: str, published: date) -> date | None:
    """The calendar day a relative day word means in a story published on `published`."""
    word = word.lower()
    if word in ("today", "tonight"):
        return published
    if word == "yesterday":
        return published - timedelta(days=1)
    if word in WEEKDAYS:
        return published - timedelta(days=(published.weekday() - WEEKDAYS.index(word)) % 7)
    return None


def day_without_year(day: int, month: int, published: date) -> date | None:
    """The last `day`/`month` on or before the publication date ("28 December" in a story of 5 January 2016 is
    28 December 2015)."""
    for year in (published.year, published.year - 1):
        found = _date(year, month, day)
        if found is None or found <= published:
            return found
    return None


def days_named(text: str, published: date) -> set[date]:
    """Every calendar day the text's relative day words and year-less days name, read from `published`."""
    found = {relative_day(match.group(1), published) for match in RELATIVE_DAY.finditer(text)}
    for match in DAY_MONTH.finditer(text):
        day, month = _day_month(match)
        year = match.group("year")
        found.add(_date(int(year), month, day) if year else day_without_year(day, month, published))
    return {day for day in found if day}


def calendar_date(answer: str, published: Iterable[date]) -> date | None:
    """The one calendar date a short "when" answer means ("Monday", "18 July"), read from the cited articles'
    publication dates; None when the answer gives its own year, names no day or several, or the dates disagree."""
    if YEAR.search(answer):
        return None
    days = {frozenset(days_named(answer, day)) for day in published}
    if len(days) != 1:
        return None
    (named,) = days
    return next(iter(named)) if len(named) == 1 else None


def day_the_sentences_give(answer: str, sentences: str, published: Iterable[date]) -> str:
    """For a "when" answer: the day as the cited sentences write it ("Saturday", "18 July") when the answer does not
    quote one of theirs (the model gave the story's date, a month, or its own reckoning of a weekday) and they name
    exactly one calendar day by every cited article's date; else the answer as it is. The day shown is then the
    sentences' own words, and the calendar note says what date it is."""
    explicit = [m.group(0) for m in DAY_MONTH.finditer(sentences)]
    written = explicit + [m.group(0) for m in RELATIVE_DAY.finditer(sentences)]
    if not written or any(w.lower() in answer.lower() for w in written):
        return answer
    named = {frozenset(days_named(sentences, day)) for day in published}
    if len(named) != 1 or len(next(iter(named))) != 1:
        return answer
    return written[0]


def without_inferred_year(answer: str, sentences: str, published: Iterable[date]) -> str:
    """The short answer without a year that its cited sentences do not give but that is the year their day falls in
    by the publication date ("18 July 2013" for "arrested on 18 July" in a story of 19 July 2013 -> "18 July"):
    the year is then shown as worked out from the article's date, not as something the sentence says."""
    match = DAY_MONTH.search(answer)
    if not match or not match.group("year") or match.group("year") in YEAR.findall(sentences):
        return answer
    day, month = _day_month(match)
    stated = _date(int(match.group("year")), month, day)
    if stated is None or all(day_without_year(day, month, p) != stated for p in published):
        return answer
    without = answer[: match.start()] + match.group(0)[: match.start("year") - match.start()].rstrip(" ,")
    return (without + answer[match.end() :]).strip()


def with_its_year(match: re.Match[str]) -> date | None:
    """The calendar date a DAY_MONTH match gives with its own year ("26 January 2015"); None without a year."""
    if not match.group("year"):
        return None
    day, month = _day_month(match)
    return _date(int(match.group("year")), month, day)


def parse_iso(value: str | None) -> date | None:
    """An article's ISO publication date (or None when it has none or it is malformed)."""
    try:
        return date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def describe(day: date) -> str:
    return f"{WEEKDAYS[day.weekday()].title()} {day.day} {day.strftime('%B')} {day.year}"


def _day_month(match: re.Match[str]) -> tuple[int, int]:
    day = match.group("day") or match.group("day2")
    month = (match.group("month") or match.group("month2")).lower()
    return int(day), MONTH_NUMBERS[month]


def _date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None
