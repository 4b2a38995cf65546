"""Days between two events, by code: "How many days passed between A and B?" becomes "When was A?" and "When was
B?", each answered, checked and cited by the answer stage on its own, and the difference is worked out here from
the two days the cited sentences give (year-less days and weekdays read from the cited articles' dates). The model
never does the arithmetic, and if either day is not stated the whole answer is "the articles do not say".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from rag.answer import dates
from rag.answer.types import Answer, Citation

_ASKS_DAYS = (
    r"(?:how many days|how many calendar days|how long,? in days,?|what was the number of days|"
    r"what number of days|how many days in all)"
)
DAYS_BETWEEN = re.compile(rf"^\s*{_ASKS_DAYS}\b.*?\bbetween\s+(?P<pair>.+?)\s*\??\s*$", re.IGNORECASE | re.DOTALL)
DAYS_AFTER = re.compile(rf"^\s*{_ASKS_DAYS}\s+after\s+(?P<first>.+?)\s+did\s+(?P<second>.+?)\s*\??\s*$", re.I | re.S)
_STARTS_WITH_ARTICLE = re.compile(r"^(?:the|a|an|its|their|his|her)\b", re.IGNORECASE)
MARKER = re.compile(r"\[(\d+)\]")


@dataclass(frozen=True)
class DaysBetween:
    """A question asking for the days between two events, and the two events as the question names them: noun
    phrases ("the fall of Palmyra"), or, from "how many days after A did B", a clause and a bare one."""

    first: str
    second: str
    form: str = "between"  # or "after"

    def sub_questions(self) -> tuple[str, str]:
        if self.form == "after":  # "after Kurdish forces took Kobane did IS attack Tal Abyad"
            return f"When {self.first}?", f"When did {self.second}?"
        return f"When was {self.first}?", f"When was {self.second}?"


def parse(question: str) -> DaysBetween | None:
    """The two events of a "how many days between A and B" (or "after A did B") question, None for any other.
    The pair is split at the " and " an article follows ("the fall of Palmyra and the recapture of Kobane"),
    else at one a capital follows, else at the last " and "."""
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


def combined(question: DaysBetween, parts: tuple[Answer, Answer], days: tuple[date, date]) -> tuple[str, list]:
    """The answer text and its citations: the difference, then each event's own checked answer with its quotes,
    markers renumbered so the two answers' citations do not collide."""
    citations: list[Citation] = []
    texts, markers = [], []
    for event, part in zip((question.first, question.second), parts, strict=True):
        numbers = {}
        for citation in part.citations:
            numbers[citation.number] = len(citations) + 1
            citations.append(Citation(**{**citation.__dict__, "number": len(citations) + 1}))
        renumbered = MARKER.sub(lambda m, new=numbers: f"[{new.get(int(m.group(1)), m.group(1))}]", part.text)
        texts.append(f"{_capitalised(event)}: {renumbered}")
        markers.append(" ".join(f"[{n}]" for n in numbers.values()))
    count = abs((days[1] - days[0]).days)
    order = "after" if days[1] >= days[0] else "before"
    unit = "day" if count == 1 else "days"
    head = (
        f"{count} {unit} (worked out from the two dates: {dates.describe(days[0])} {markers[0]} and "
        f"{dates.describe(days[1])} {markers[1]}; the second event came {count} {unit} {order} the first)."
    )
    return "\n".join([head, *texts]), citations  # one line each: a marker stays with the quote it follows


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]
