"""Generation: the best candidate sentences, numbered and grouped by article, and one structured model call.

The model does not write free prose with [n] markers to be parsed afterwards: it fills a JSON schema (llama.cpp
turns the schema into a grammar, so the output always parses and cites only numbers that exist):

    {"answer": "7", "claims": [{"sources": [2], "text": "7 militants were eliminated in the strike."}]}

`answer` is the short answer or "not stated"; each claim names the sentences that state it before it is written.
`StructuredDraft` reads the stream as it comes, so each claim can be checked and shown as soon as it is complete.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from rag.llm import prompt
from rag.rank import Candidate
from rag.retrieve import Passage

NOT_STATED = "not stated"
MAX_CLAIMS = 3
MAX_SOURCES_PER_CLAIM = 3


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
    """The JSON schema of an answer over `sources` numbered sentences: a claim can cite only numbers that exist."""
    return {
        "type": "object",
        "properties": {
            "answer": {"type": "string"},
            "claims": {
                "type": "array",
                "maxItems": MAX_CLAIMS,
                "items": {
                    "type": "object",
                    "properties": {
                        "sources": {
                            "type": "array",
                            "items": {"type": "integer", "enum": list(range(1, sources + 1))},
                            "minItems": 1,
                            "maxItems": MAX_SOURCES_PER_CLAIM,
                        },
                        "text": {"type": "string"},
                    },
                    "required": ["sources", "text"],
                },
            },
        },
        "required": ["answer", "claims"],
    }


def answer_messages(question: str, sources: NumberedSources) -> list[dict[str, str]]:
    """The fixed instructions first (the same bytes every time, so the server keeps them in its prompt cache), then
    this question's sources and the question."""
    return [
        {"role": "system", "content": prompt("answer_system")},
        {"role": "user", "content": prompt("answer_user", sources=sources.render(), question=as_data(question))},
    ]


_ANSWER_VALUE = re.compile(r'"answer"\s*:\s*"((?:[^"\\]|\\.)*)"')
_CLAIMS_START = re.compile(r'"claims"\s*:\s*\[')


@dataclass
class StructuredDraft:
    """The model's JSON as it streams in: `feed` returns what just became complete, the short answer (once) and
    each claim object, so nothing is acted on half-written."""

    text: str = ""
    answer: str | None = None
    claims: list[dict] = field(default_factory=list)
    _cursor: int | None = None

    def feed(self, delta: str) -> list[str | dict]:
        self.text += delta
        done: list[str | dict] = []
        if self.answer is None and (match := _ANSWER_VALUE.search(self.text)):
            self.answer = _unescape(match.group(1)).strip()
            done.append(self.answer)
        if self._cursor is None and (match := _CLAIMS_START.search(self.text)):
            self._cursor = match.end()
        while self._cursor is not None:
            rest = self.text[self._cursor :]
            skipped = len(rest) - len(rest.lstrip(" \n\t,"))
            if not rest[skipped:].startswith("{"):
                break
            try:
                claim, end = json.JSONDecoder().raw_decode(self.text, self._cursor + skipped)
            except json.JSONDecodeError:
                break
            self._cursor = end
            if isinstance(claim, dict):
                self.claims.append(claim)
                done.append(claim)
        return done

    def finish(self) -> None:
        """The whole text is in: read it once more as a whole (without a grammar the model may have wrapped the
        JSON in prose or a code fence)."""
        if self.answer is not None:
            return
        data = parse_lenient(self.text)
        self.answer = str(data.get("answer", "")).strip() if data else ""
        if data and isinstance(data.get("claims"), list):
            self.claims = [c for c in data["claims"] if isinstance(c, dict)]


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


def claim_sources(claim: dict, available: int) -> list[int]:
    """The valid source numbers a claim object names, in order, once each."""
    numbers = claim.get("sources")
    if not isinstance(numbers, list):
        return []
    valid = [n for n in numbers if isinstance(n, int) and not isinstance(n, bool) and 1 <= n <= available]
    return list(dict.fromkeys(valid))


def says_not_stated(answer: str | None) -> bool:
    low = (answer or "").strip().strip(".").lower()
    return not low or low in (NOT_STATED, "not in sources", "none", "unknown", "n/a")


def _unescape(value: str) -> str:
    try:
        return json.loads(f'"{value}"')
    except json.JSONDecodeError:
        return value


def as_data(text: str) -> str:
    """Keep article text from closing the sources block or faking a numbered source of its own."""
    return " ".join(text.translate(_DATA_SAFE).split())


_DATA_SAFE = str.maketrans({"<": "‹", ">": "›", "[": "(", "]": ")", "{": "(", "}": ")"})
