"""Find publication dates in dateline headers ("date 2019-03-08", "Global Research, March 08, 2019")."""

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
# A dateline at the very start of an article body: "Wed 05 Apr 2017 ", "Date of publication 4 October 2016 ".
LEADING_DATELINE = re.compile(
    rf"^\s*(?:date(?:d| of publication)?:?\s+|published:?\s+|posted:?\s+)?{_WEEKDAY}"
    rf"(?:\d{{1,2}}(?:st|nd|rd|th)?\s+{_ANY_MONTH},?\s+\d{{4}}|{_ANY_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
    r"|\d{4}-\d{1,2}-\d{1,2})"
    r"(?:\s+at\s+\d{1,2}:?\d{2}(?:\s*(?:gmt|utc|am|pm))?)?\s*[-–—|:]?\s+",
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
