"""Generation: the best candidate sentences, numbered and grouped by article, and the prompt that cites them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from rag.llm import LLMClient, prompt
from rag.rank import Candidate
from rag.retrieve import Passage

MARKER = re.compile(r"\[(\d{1,3})\]")
NOT_FOUND = "NOT IN SOURCES"


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
                lines.append(("\n" if lines else "") + f"Article: {_as_data(self.labels[candidate.article_id])}")
            lines.append(f"[{number}] {_as_data(candidate.text)}")
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


def answer_messages(question: str, sources: NumberedSources) -> list[dict[str, str]]:
    return [
        {"role": "system", "content": prompt("answer_system")},
        {"role": "user", "content": prompt("answer_user", sources=sources.render(), question=_as_data(question))},
    ]


def stream_draft(llm: LLMClient, question: str, sources: NumberedSources, draft: list[str]) -> Iterator[str]:
    """Yields the answer as the model writes it (every piece also goes to `draft`), except a bare NOT IN SOURCES:
    that is held back, because the caller may ask again with more sources, and a reader should never see it."""
    held: str | None = ""
    for delta in llm.stream(answer_messages(question, sources)):
        draft.append(delta)
        if held is None:
            yield delta
            continue
        held += delta
        if not NOT_FOUND.lower().startswith(held.strip().rstrip(".!").lower()):
            yield held
            held = None


def says_not_found(text: str) -> bool:
    return not text.strip() or NOT_FOUND.lower() in text.lower()


def _as_data(text: str) -> str:
    """Keep article text from closing the <sources> block or faking a numbered source of its own."""
    return " ".join(text.translate(_DATA_SAFE).split())


_DATA_SAFE = str.maketrans({"<": "‹", ">": "›", "[": "(", "]": ")"})
