"""Two events' days, by code: "How many days passed between A and B?", "Did A happen before B?" and "Which came
first, A or B?" become "When was A?" and "When was B?", each answered, checked and cited by the answer stage on its
own; the difference or the order is worked out here from the two days the cited sentences give (year-less days and
weekdays read from the cited articles' dates). The model never does the arithmetic or the comparison, and if either
day is not stated the whole answer is "the articles do not say".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from rag.answer import dates
from rag.answer.types import Answer, Citation, renumbered

_ASKS_DAYS = (
    r"(?:how many days|how many calendar days|how long,? in days,?|what was the number of days|"
    r"what number of days|how many days in all)"
)
DAYS_BETWEEN = re.compile(rf"^\s*{_ASKS_DAYS}\b.*?\bbetween\s+(?P<pair>.+?)\s*\??\s*$", re.IGNORECASE | re.DOTALL)
DAYS_AFTER = re.compile(rf"^\s*{_ASKS_DAYS}\s+after\s+(?P<first>.+?)\s+did\s+(?P<second>.+?)\s*\??\s*$", re.I | re.S)
_STARTS_WITH_ARTICLE = re.compile(r"^(?:the|a|an|its|their|his|her)\b", re.IGNORECASE)
_HAPPEN = r"(?:happen|take place|occur|come)"
# "Did the fall of Palmyra happen before the siege of Kobane?"; "Did IS attack Tal Abyad after Kurds took Kobane?"
DID_BEFORE = re.compile(
    rf"^\s*did\s+(?P<first>.+?)(?:\s+{_HAPPEN})?\s+(?P<order>before|after)\s+(?P<second>.+?)\s*\??\s*$", re.I | re.S
)
# "Which came first, the fall of Palmyra or the siege of Kobane?"
WHICH_FIRST = re.compile(
    r"^\s*which\s+(?:came|happened|took place|occurred)\s+first\s*[,:]?\s+"
    r"(?P<first>.+?)\s+or\s+(?P<second>.+?)\s*\??\s*$",
    re.I | re.S,
)


@dataclass(frozen=True)
class DaysBetween:
    """A question asking for the days between two events, and the two events as the question names them: noun
    phrases ("the fall of Palmyra"), or, from "how many days after A did B", a clause and a bare one."""

    first: str
    second: str
    # "between" (how many days), "after" (how many days after A did B), "before?" / "after?" (did A happen
    # before / after B: yes or no), "first" (which came first)
    form: str = "between"

    def sub_questions(self) -> tuple[str, str]:
        if self.form == "after":  # "after Kurdish forces took Kobane did IS attack Tal Abyad"
            return f"When {self.first}?", f"When did {self.second}?"
        return _when(self.first, self.form in ("before?", "after?")), _when(self.second)


def _when(event: str, after_did: bool = False) -> str:
    """ "When was the fall of Palmyra?" for a noun phrase; "When did IS attack Tal Abyad?" for the clause a "Did ...
    before" question opens with; "When Kurdish forces took Kobane?" for a clause with its own verb."""
    if _STARTS_WITH_ARTICLE.match(event):
        return f"When was {event}?"
    if after_did:
        return f"When did {event}?"
    return f"When was {event}?" if event[:1].isupper() and len(event.split()) <= 3 else f"When {event}?"


def parse(question: str) -> DaysBetween | None:
    """The two events of a "how many days between A and B" (or "after A did B"), "did A happen before / after B"
    or "which came first, A or B" question, None for any other.
    The pair is split at the " and " an article follows ("the fall of Palmyra and the recapture of Kobane"),
    else at one a capital follows, else at the last " and "."""
    ordered = DID_BEFORE.match(question)
    if ordered and not DAYS_AFTER.match(question):
        form = f"{ordered.group('order').lower()}?"
        return DaysBetween(ordered.group("first").strip(" ,"), ordered.group("second").strip(" ,"), form)
    which = WHICH_FIRST.match(question)
    if which:
        return DaysBetween(which.group("first").strip(" ,"), which.group("second").strip(" ,"), "first")
    after = DAYS_AFTER.match(question)
    if after:
        return DaysBetween(after.group("first").strip(" ,"), after.group("second").strip(" ,"), "after")
    match = DAYS_BETWEEN.match(question)
    if not match:
        return None
    pair = match.group("pair").strip()
    splits = list(re.finditer(r"\s+and\s+", pair))
    if not splits:
        return None
    # "the arrest of Abdelke and al-Dibs and the Houla massacre": an article starts the second event before a
    # capital does (a capital may be the second of two names), and either before the last " and " does
    by_article = [m for m in splits if _STARTS_WITH_ARTICLE.match(pair[m.end() :])]
    by_capital = [m for m in splits if pair[m.end() : m.end() + 1].isupper() or pair[m.end() : m.end() + 1].isdigit()]
    cut = (by_article or by_capital or splits[-1:])[0]
    first, second = pair[: cut.start()].strip(" ,"), pair[cut.end() :].strip(" ,")
    return DaysBetween(first, second) if first and second else None


def day_of(answer: Answer) -> date | None:
    """The one calendar day a checked "when" answer gives: from its own day, month and year, or, for a year-less
    day or a weekday, counted from its cited articles' publication date (None when it names no single day)."""
    if answer.mode != "generated" or not answer.short_answer:
        return None
    match = dates.DAY_MONTH.search(answer.short_answer)
    if match and match.group("year"):
        return dates.with_its_year(match)
    published = {dates.parse_iso(c.date) for c in answer.citations} - {None}
    return dates.calendar_date(answer.short_answer, published) if len(published) == 1 else None


def combined(
    question: DaysBetween, parts: tuple[Answer, Answer], days: tuple[date, date]
) -> tuple[str, list[Citation]]:
    """The answer text and its citations: the difference, then each event's own checked answer with its quotes,
    markers renumbered so the two answers' citations do not collide."""
    parts_texts, citations, markers = renumbered(list(parts))
    events = (question.first, question.second)
    texts = [f"{_capitalised(event)}: {text}" for event, text in zip(events, parts_texts, strict=True)]
    count = abs((days[1] - days[0]).days)
    order = "after" if days[1] >= days[0] else "before"
    unit = "day" if count == 1 else "days"
    worked_out = f"worked out from the two dates: {dates.describe(days[0])} {markers[0]} and "
    worked_out += f"{dates.describe(days[1])} {markers[1]}"
    if question.form in ("before?", "after?", "first"):
        head = _order(question, days, count, unit) + f" ({worked_out})."
    else:
        head = f"{count} {unit} ({worked_out}; the second event came {count} {unit} {order} the first)."
    return "\n".join([head, *texts]), citations  # one line each: a marker stays with the quote it follows


def _order(question: DaysBetween, days: tuple[date, date], count: int, unit: str) -> str:
    """The comparison, in words: "Yes: first A, then B, 12 days later", "No: first B, then A, ...", "B came first,
    12 days before A"."""
    first, second = question.first, question.second
    if days[0] == days[1]:
        same = f"the articles give the same day for {first} and {second}"
        return f"No: {same}" if question.form != "first" else _capitalised(same)
    earlier, later = (first, second) if days[0] < days[1] else (second, first)
    if question.form == "first":
        return _capitalised(f"{earlier} came first, {count} {unit} before {later}")
    yes = (days[0] < days[1]) == (question.form == "before?")
    return f"{'Yes' if yes else 'No'}: first {earlier}, then {later}, {count} {unit} later"


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]
