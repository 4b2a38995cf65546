"""Two events' counts, by code: "How many people were killed in total in A and B?", "How many more died in A than
in B?" and "Which was deadlier, A or B?" become "How many people were killed in A?" and "... in B?", each answered,
checked and cited by the answer stage on its own; the sum, the difference or the larger is worked out here from the
two numbers the cited sentences give. The model never does the arithmetic, and if either count is not stated, is
disputed between sources, or both come from one sentence, the whole answer is "the articles do not say".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.answer import check
from rag.answer.types import Answer, Citation, renumbered

TOTAL = "total"
DIFFERENCE = "difference"
MORE = "more"  # which of the two has the larger count
FEWER = "fewer"  # which has the smaller

_TOTAL_CUE = re.compile(
    r"\b(?:in total|in all|all told|altogether|all together|taken together|put together|together|combined|"
    r"total|adding up|add up|added up|sum|plus|overall|between them|both)\b",
    re.IGNORECASE,
)
_DIFFERENCE_CUE = re.compile(
    r"\bhow many (?:more|fewer|less)\b|\bdifference\b|\bexceed|\boutnumber|\bby how many\b|"
    r"\bhow much (?:higher|larger|greater|lower|smaller|bigger)\b",
    re.IGNORECASE,
)
_COMPARISON_CUE = re.compile(
    r"^\s*(?:which|what|were|was|did)\b.*\b(?P<way>more|fewer|less|deadlier|deadliest|higher|larger|greater|bigger|"
    r"lower|smaller|heavier|lighter)\b.*\sor\s",
    re.IGNORECASE | re.DOTALL,
)
# qualifiers a count is written with: "at least 20", "more than 20", "about 20", "up to 20"
_AT_LEAST = ("at least", "more than", "over", "no fewer than")
_ABOUT = ("about", "around", "nearly", "almost", "some", "roughly", "approximately", "close to")
_UP_TO = ("up to", "as many as")
_SMALLER = {"fewer", "less", "lower", "smaller", "lighter"}
# only casualty counts: the people killed or wounded, as the question asks them
_WOUNDED = re.compile(r"\b(?P<word>wounded|injured|injuries|hurt)\b", re.IGNORECASE)
_CASUALTIES = re.compile(
    r"\b(?:killed|died|dead|deaths?|deadl(?:y|ier|iest)|toll|lives|wounded|injured|injuries|hurt|casualties)\b", re.I
)
# where the first event starts: after the words that say what is counted ("killed in", "the death toll of",
# "deaths between", "Adding up", a colon), not after a relative clause inside an event ("the raid that killed")
_CUE_END = re.compile(
    r"(?<!that )(?<!which )(?<!who )\b(?:killed|died|dead|injured|wounded|hurt|deaths|casualties|toll|lives lost)"
    r"(?:\s+(?:in all|in total|altogether))?\s+(?:in|by|during|at|on|of|from|between|when)\s+"
    r"|\b(?:between|adding up|add up|added up|count)\s+|:\s+",
    re.IGNORECASE,
)
_SEPARATOR = re.compile(
    r",?\s+(?P<word>and|or|than|versus|vs\.?|plus|exceed(?:ed)? that of|compared (?:with|to))\s+"
    r"(?:(?:in|at|on|during|by|from|of)\s+(?=the\b|a\b|an\b|[A-Z0-9]))?",
    re.IGNORECASE,
)
# the words that may join the two events, by what the question does with their counts, most telling first
_JOINING = {
    TOTAL: ("and", "plus"),
    DIFFERENCE: ("than", "exceed", "versus", "vs", "compared", "and"),
    MORE: ("or",),
    FEWER: ("or",),
}
_OPENS_WITH_ARTICLE = re.compile(r"^(?:the|a|an|its|their)\b", re.IGNORECASE)
_OPENS_WITH_NAME = re.compile(r"^[A-Z0-9]")
_EVENT_END = re.compile(r",?\s*(?:[:,;]\s*(?:how|what|which|who)\b|[.?!](?:\s|$)|\s+(?:in total|in all)\b|$)", re.I)
# "two days later", "later that week", "the following month": a time told from the other event, which its own
# question would not have (it reads as the count "2" and a day the sentence must give)
_FROM_THE_OTHER = re.compile(
    r",?\s+(?:(?:\w+|a)\s+(?:days?|weeks?|months?|years?)\s+(?:later|earlier|before|after)(?:\s+that)?|"
    r"(?:later|earlier)\s+(?:that|the same)\s+(?:day|week|month|year)|the\s+(?:same|next|following|previous)\s+"
    r"(?:day|week|month|year))\b",
    re.IGNORECASE,
)
_LEADING_PREPOSITION = re.compile(r"^(?:in|at|on|during|by|from|of)\s+", re.IGNORECASE)
_COUNTED = re.compile(
    r"\bhow many (?:more |fewer |less )?(?P<a>(?!were\b|was\b|did\b|had\b|have\b|died\b|in\b)[a-z-]+)|"
    r"\b(?:more|fewer|less|count the|for|number of)\s+(?P<b>people|civilians|children|fighters|soldiers|troops|women|"
    r"militants|rebels|members|residents|persons)\b|\b(?P<c>civilian)\s+(?:deaths|casualties|toll)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class TwoCounts:
    """A question that combines two events' casualty counts: the two events as the question names them, what is
    counted ("civilians", "killed") and what to do with the two numbers (`form`)."""

    first: str
    second: str
    counted: str = "people"
    outcome: str = "killed"
    form: str = TOTAL

    def sub_questions(self) -> tuple[str, str]:
        return self.sub_question(self.first), self.sub_question(self.second)

    def sub_question(self, event: str) -> str:
        return f"How many {self.counted} were {self.outcome} in {event}?"


def parse(question: str) -> TwoCounts | None:
    """The two events and what is counted, for a total, a difference or a comparison of two events' casualty counts
    ("How many civilians were killed in total in A and B?", "By how many did the death toll of A exceed that of
    B?", "Which was deadlier: A or B?"); None for any other question (one count, one event)."""
    question = " ".join(question.split())
    if not _CASUALTIES.search(question):
        return None
    compared = _COMPARISON_CUE.match(question)
    if compared:
        form = FEWER if compared.group("way").lower() in _SMALLER else MORE
    elif _DIFFERENCE_CUE.search(question):
        form = DIFFERENCE
    elif _TOTAL_CUE.search(question):
        form = TOTAL
    else:
        return None
    pair = _events(question, form)
    if pair is None:
        return None
    wounded = _WOUNDED.search(question)
    outcome = "killed"
    if wounded:
        outcome = "injured" if wounded.group("word").lower() in ("injured", "hurt") else "wounded"
    return TwoCounts(*pair, counted=_counted(question), outcome=outcome, form=form)


def _events(question: str, form: str) -> tuple[str, str] | None:
    """The two events: the second from a separator (" and ", ", or", " than ", " versus ") to where the question
    goes on ("?", ", how many"), the first from the words that say what is counted (or the question's start) to
    the separator. Of several separators the form's most telling word is tried first ("than" before "and" for a
    difference), and of several "and"s one an article follows before one a name follows (a name may be the
    second of two places of one event)."""
    joining = _JOINING[form]
    found = [m for m in _SEPARATOR.finditer(question) if _joining_word(m) in joining]

    def telling(separator: re.Match[str]) -> tuple[int, int, int]:
        rest = question[separator.end() :]
        opening = 0 if _OPENS_WITH_ARTICLE.match(rest) else 1 if _OPENS_WITH_NAME.match(rest) else 2
        return joining.index(_joining_word(separator)), opening, separator.start()

    for separator in sorted(found, key=telling):
        rest = question[separator.end() :]
        if not (_OPENS_WITH_ARTICLE.match(rest) or _OPENS_WITH_NAME.match(rest)):
            continue
        head = question[: separator.start()]
        cues = list(_CUE_END.finditer(head))
        first = head[cues[-1].end() :] if cues else head
        first = re.sub(r"^(?:together|combined|overall|altogether|in total|in all),?\s+", "", first.strip(), flags=re.I)
        end = _EVENT_END.search(rest)
        cue = _CUE_END.search(rest)
        if cue and cue.group(0).strip() != ":" and end and cue.start() < end.start():
            rest = rest[cue.end() :]  # "..., plus the Hezbollah fighters killed in B", "and the number killed by B"
            end = _EVENT_END.search(rest)
        second = rest[: end.start()] if end else rest
        first, second = (
            _LEADING_PREPOSITION.sub("", _FROM_THE_OTHER.sub("", e).strip(" ,:;")) for e in (first, second)
        )
        if (_OPENS_WITH_ARTICLE.match(first) or _OPENS_WITH_NAME.match(first)) and len(second.split()) >= 2:
            return first, second
    return None


def _joining_word(separator: re.Match[str]) -> str:
    """ "exceed" for ", exceed that of", "vs" for " vs. ": the word `_JOINING` lists."""
    return separator.group("word").lower().split()[0].rstrip(".")


def _counted(question: str) -> str:
    """Who is counted: "civilians" for "how many civilians", "deadlier for civilians", "civilian deaths"; else
    "people"."""
    for found in _COUNTED.finditer(question):
        word = (found.group("a") or found.group("b") or found.group("c") or "").lower()
        if word == "civilian":
            return "civilians"
        if word and word not in ("times", "days", "weeks", "months", "years"):
            return word
    return "people"


def count_of(answer: Answer, counted: str = "people") -> int | None:
    """The count of `counted` a checked "how many" answer gives: its one number, or, when it says more ("At least
    11 civilians, including three children"), the one written before `counted` (any first number for "people");
    None when it is not answered, gives alternatives ("12 or 20") or no number, or quotes sources that disagree
    (one side's figure is no count to add)."""
    if answer.mode != "generated" or not answer.short_answer or answer.disagreeing_sides:
        return None
    if re.search(r"\bor\b|\bto\b|\d\s*-\s*\d", answer.short_answer):  # "12 or 20", "12 to 20", "12-20"
        return None
    words = check.tokens(answer.short_answer)
    found = [w for w in words if w.isdigit()]
    if len(set(found)) == 1:
        return int(found[0])
    generic = counted in check.GENERIC_COUNTS
    before = [
        w
        for index, w in enumerate(words)
        if w.isdigit() and (generic or any(check.stem(n) == check.stem(counted) for n in words[index + 1 : index + 3]))
    ]
    return int(before[0]) if before and (len(set(before)) == 1 or (generic and before[0] in words[:4])) else None


def qualifier(answer: Answer, count: int) -> str:
    """How the short answer or the cited sentences write the count: "at least", "about", "up to" or "" (exactly)."""
    for text in (answer.short_answer, *(citation.text for citation in answer.citations)):
        words = check.tokens(text)
        for index, word in enumerate(words):
            if word != str(count):
                continue
            before = " ".join(words[max(0, index - 3) : index])
            for kind, phrases in (("at least", _AT_LEAST), ("about", _ABOUT), ("up to", _UP_TO)):
                if any(before.endswith(phrase) for phrase in phrases):
                    return kind
    return ""


def combined(question: TwoCounts, parts: tuple[Answer, Answer], counts: tuple[int, int]) -> tuple[str, list[Citation]]:
    """The answer text and its citations: the worked-out figure, then each event's own checked answer with its
    quotes, markers renumbered so the two answers' citations do not collide."""
    texts, citations, markers = renumbered(list(parts))
    first, second = counts
    kinds = [qualifier(part, count) for part, count in zip(parts, counts, strict=True)]
    written = [f"{kind} {count}".strip() for kind, count in zip(kinds, counts, strict=True)]
    # the figures as reported ("at least 11"): the sum or the larger of reported tolls, not of the true ones
    worked_out = (
        f"worked out from the figures the articles give: {written[0]} {markers[0]} and {written[1]} {markers[1]}"
    )
    if question.form == TOTAL:
        given = set(kinds) - {""}
        prefix = "" if not given else f"{next(iter(given))} " if len(given) == 1 else "about "
        head = f"{prefix}{first + second} in all ({worked_out})."
    elif question.form == DIFFERENCE:
        gap = abs(first - second)
        if first == second:
            head = f"None: the two counts are the same ({worked_out})."
        else:
            way = "more" if first > second else "fewer"
            head = f"{gap} {way} in {question.first} than in {question.second} ({worked_out})."
    else:
        if first == second:
            head = f"Neither: the two counts are the same ({worked_out})."
        else:
            larger = question.first if first > second else question.second
            smaller = question.second if first > second else question.first
            chosen = larger if question.form == MORE else smaller
            head = f"{_capitalised(chosen)} ({worked_out})."
        # the events are named in the head only: each count's line shows its own quote
        return "\n".join([head, *texts]), citations
    events = (question.first, question.second)
    lines = [f"{_capitalised(event)}: {text}" for event, text in zip(events, texts, strict=True)]
    return "\n".join([head, *lines]), citations


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]
