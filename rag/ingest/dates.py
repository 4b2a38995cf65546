"""Find publication dates in dateline headers ("date 2019-03-08", "Global Research, March 08, 2019") and in the
dateline an article body opens with ("Wed 05 Apr 2017 ...", "01.02.2015 ...")."""

from __future__ import annotations

import re
from datetime import date

MONTH_NUMBERS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<month>" + "|".join(sorted(MONTH_NUMBERS, key=len, reverse=True)) + r")\.?"
_ANY_MONTH = r"(?:" + "|".join(sorted(MONTH_NUMBERS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)\d{2})"
_WEEKDAY = r"(?:(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)[a-z]*\.?,?\s+)?"

DATE_PATTERNS = [
    re.compile(rf"\b{_YEAR}-(?P<month>\d{{1,2}})-{_DAY}\b"),
    re.compile(rf"\b{_WEEKDAY}{_MONTH}\s+{_DAY},?\s+{_YEAR}\b", re.IGNORECASE),
    re.compile(rf"\b{_WEEKDAY}{_DAY}\s+{_MONTH},?\s+{_YEAR}\b", re.IGNORECASE),
]
# A dateline at the very start of an article body: "Wed 05 Apr 2017 ", "Date of publication 4 October 2016 ",
# "Posted on April 2 2017 by ...", and the day-first numeric ones of SANA and Sputnik exports: "01-02-2015 ",
# "21.08.2013Get short URL", "05.10.2017(updated 1935 05.10.2017) ".
LEADING_DATELINE = re.compile(
    rf"^\s*(?:date(?:d| of publication)?:?\s+|published:?\s+|posted(?: on)?:?\s+)?{_WEEKDAY}"
    rf"(?:(?:\d{{1,2}}(?:st|nd|rd|th)?\s+{_ANY_MONTH},?\s+\d{{4}}|{_ANY_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
    r"|\d{4}-\d{1,2}-\d{1,2})"
    r"(?:\s+at\s+\d{1,2}:?\d{2}(?:\s*(?:gmt|utc|am|pm))?)?\s*[-–—|:]?\s+"
    r"|(?P<numeric>(?P<first>\d{1,2})(?P<sep>[-.])(?P<second>\d{1,2})(?P=sep)(?P<numeric_year>(?:19|20)\d{2}))"
    r"(?:\s*\(updated [^)]{0,30}\))?(?:\s*[-–—|:]?\s+|(?=[(]|(?-i:[A-Z]))))",
    re.IGNORECASE,
)


def find_date(text: str) -> tuple[str, re.Match[str]] | None:
    """The first valid calendar date in text as ISO 8601, with the match that produced it."""
    found = []
    for pattern in DATE_PATTERNS:
        for match in pattern.finditer(text):
            iso = _to_iso(match)
            if iso:
                found.append((match.start(), iso, match))
                break
    if not found:
        return None
    _, iso, match = min(found, key=lambda item: item[0])
    return iso, match


def dateline_date(match: re.Match[str], hint: str | None = None) -> str | None:
    """The ISO date a LEADING_DATELINE match prints. A numeric one is read day first (as the exports that write
    them do) unless the record's own date is its month-first reading."""
    if not match.group("numeric"):
        found = find_date(match.group(0))
        return found[0] if found else None
    first, second, year = (int(match.group(name)) for name in ("first", "second", "numeric_year"))
    readings = []
    for day, month in ((first, second), (second, first)):
        try:
            readings.append(date(year, month, day).isoformat())
        except ValueError:
            continue
    if hint in readings:
        return hint
    return readings[0] if readings else None


def parse_date(text: str | None) -> str | None:
    """ISO date for a free-form date string, or None when there is no recognisable date."""
    if not text:
        return None
    found = find_date(text)
    return found[0] if found else None


def _to_iso(match: re.Match[str]) -> str | None:
    month_text = match.group("month").lower().rstrip(".")
    month = int(month_text) if month_text.isdigit() else MONTH_NUMBERS.get(month_text)
    try:
        return date(int(match.group("year")), month or 0, int(match.group("day"))).isoformat()
    except ValueError:
        return None
