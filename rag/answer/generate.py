"""Generation: the best candidate sentences, numbered and grouped by article, and one short structured model call.

The model does not retell the sources in prose with [n] markers to be parsed afterwards: it names the sentences
that state the answer, then gives the short answer, as JSON (a grammar where the endpoint supports one):

    {"sources": [2], "answer": "7"}

The sentences themselves are quoted verbatim beside the answer (stage.py), so the only text the model writes that
a reader sees is the short answer, and check.py holds that to its cited sentences. Measured on the 2-core machine
with the bundled 1.5B model, the reply is ~15-30 tokens instead of the 40-110 of a reply that retold each claim
(~80 ms a token).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from rag.llm import prompt
from rag.rank import Candidate
from rag.retrieve import Passage

NOT_STATED = "not stated"
MAX_SOURCES = 3
MAX_ANSWER_CHARS = 200  # a short answer; the cited sentences are quoted beside it, not retold
REPLY_TOKENS = 80  # enough for {"sources": [1, 2, 3], "answer": <a short answer>}; caps a runaway reply


@dataclass
class NumberedSources:
    """The sentences shown to the model; number n is `sentences[n - 1]`."""

    sentences: list[Candidate]
    labels: dict[str, str]  # article id -> heading (title, source, date) shown above its sentences
    best_first: list[int]  # the numbers in ranking order

    def get(self, number: int) -> Candidate | None:
        return self.sentences[number - 1] if 1 <= number <= len(self.sentences) else None

    def render(self) -> str:
        lines: list[str] = []
        for number, candidate in enumerate(self.sentences, start=1):
            if number == 1 or self.sentences[number - 2].article_id != candidate.article_id:
                lines.append(("\n" if lines else "") + f"Article: {as_data(self.labels[candidate.article_id])}")
            lines.append(f"[{number}] {as_data(candidate.text)}")
        return "\n".join(lines)


def headings(passages: list[Passage]) -> dict[str, str]:
    """Article id -> the heading the model sees above that article's sentences: title, then source and date."""
    labels = {}
    for passage in passages:
        meta = passage.metadata
        known = [meta[key] for key in ("source", "date") if meta.get(key)]
        labels[passage.article_id] = f'"{meta.get("title", "")}"' + (f" ({', '.join(known)})" if known else "")
    return labels


def number_sources(ranked: list[Candidate], limit: int, labels: dict[str, str]) -> NumberedSources:
    """The `limit` best sentences, re-ordered so each article's sentences are together and in reading order."""
    best = ranked[:limit]
    first_seen: dict[str, int] = {}
    for position, candidate in enumerate(best):
        first_seen.setdefault(candidate.article_id, position)
    shown = sorted(best, key=lambda c: (first_seen[c.article_id], c.index))
    number_of = {id(c): number for number, c in enumerate(shown, start=1)}
    return NumberedSources(shown, labels, [number_of[id(c)] for c in best])


def answer_schema(sources: int) -> dict:
    """The JSON schema of an answer over `sources` numbered sentences: it can cite only numbers that exist, and
    names its sentences before it writes the answer."""
    return {
        "type": "object",
        "properties": {
            "sources": {
                "type": "array",
                "items": {"type": "integer", "enum": list(range(1, sources + 1))},
                "maxItems": MAX_SOURCES,
            },
            "answer": {"type": "string", "maxLength": MAX_ANSWER_CHARS},
        },
        "required": ["sources", "answer"],
    }


def answer_messages(question: str, sources: NumberedSources) -> list[dict[str, str]]:
    """The fixed instructions first (the same bytes every time, so the server keeps them in its prompt cache), then
    this question's sources and the question."""
    return [
        {"role": "system", "content": prompt("answer_system")},
        {"role": "user", "content": prompt("answer_user", sources=sources.render(), question=as_data(question))},
    ]


@dataclass(frozen=True)
class Reply:
    """What the model replied: the sentence numbers it cites (valid ones only, in order, once each) and its short
    answer ("" when the reply could not be read)."""

    sources: list[int]
    answer: str


def parse_reply(text: str, available: int) -> Reply:
    """The model's JSON reply; without a grammar it may come wrapped in prose or a code fence, so the first JSON
    object in the text is read."""
    data = parse_lenient(text) or {}
    numbers = data.get("sources")
    numbers = numbers if isinstance(numbers, list) else []
    valid = [n for n in numbers if isinstance(n, int) and not isinstance(n, bool) and 1 <= n <= available]
    answer = data.get("answer")
    return Reply(list(dict.fromkeys(valid))[:MAX_SOURCES], " ".join(answer.split()) if isinstance(answer, str) else "")


def parse_lenient(text: str) -> dict | None:
    """The first JSON object in the text, if any."""
    start = text.find("{")
    while start != -1:
        try:
            data, _ = json.JSONDecoder().raw_decode(text, start)
            if isinstance(data, dict):
                return data
        except json.JSONDecodeError:
            pass
        start = text.find("{", start + 1)
    return None


_NO_ANSWER = re.compile(
    r"^(not stated|not in (the )?sources|not (known|given|specified|mentioned|confirmed|clear)|unknown|unclear|"
    r"none|n/a|no (answer|information|data))\b"
)


def says_not_stated(answer: str | None) -> bool:
    """Whether the short answer declines: "not stated", or a reply that opens like it ("unknown: the identity of
    the drone was not confirmed ..." is not an answer to "whose drone")."""
    low = (answer or "").strip().strip(".").lower()
    return not low or bool(_NO_ANSWER.match(low))


def as_data(text: str) -> str:
    """Keep article text from closing the sources block or faking a numbered source of its own."""
    return " ".join(text.translate(_DATA_SAFE).split())


_DATA_SAFE = str.maketrans({"<": "‹", ">": "›", "[": "(", "]": ")", "{": "(", "}": ")"})
