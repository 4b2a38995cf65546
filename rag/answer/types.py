"""What `Assistant.ask` returns: the answer text, its checked citations, what was retrieved and how long it took.

Everything here is plain data so an answer serialises to JSON (`Answer.to_dict`) for the CLI, the UI and eval.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

AnswerMode = Literal["generated", "extractive", "refused"]
MARKER = re.compile(
    r"\[(\d+)\]"
)  # a citation marker, "[2]": one pattern for the answer text, its renumbering and rendering


@dataclass
class Citation:
    """One cited source sentence. `number` is its [n] marker in the answer text; offsets index the article's
    cleaned text (`start`/`end`) and the file as loaded (`orig_start`/`orig_end`)."""

    number: int
    article_id: str
    title: str
    date: str | None
    source: str | None
    url: str | None
    locator: str
    sentence_id: str
    sentence_index: int
    text: str
    start: int
    end: int
    orig_start: int
    orig_end: int
    support: float  # 0..1: how much of the claim the sentence states (see `support_method`)
    support_method: str = "checked in code"


def renumbered(parts: list[Answer]) -> tuple[list[str], list[Citation], list[str]]:
    """Several checked answers shown as one: each part's text with its markers renumbered so the parts' citations do
    not collide, all the citations in order, and each part's markers ("[1] [2]")."""
    citations: list[Citation] = []
    texts, markers = [], []
    for part in parts:
        numbers = {}
        for citation in part.citations:
            numbers[citation.number] = len(citations) + 1
            citations.append(Citation(**{**citation.__dict__, "number": len(citations) + 1}))
        texts.append(MARKER.sub(lambda m, new=numbers: f"[{new.get(int(m.group(1)), m.group(1))}]", part.text))
        markers.append(" ".join(f"[{n}]" for n in numbers.values()))
    return texts, citations, markers


@dataclass(frozen=True)
class Progress:
    """Streamed by `Assistant.stream` before any answer text: what the assistant is doing, to show at once."""

    message: str


@dataclass
class RetrievedPassage:
    """A retrieved chunk as shown beside an answer: fused score and its rank in each retriever."""

    chunk_id: str
    article_id: str
    title: str
    date: str | None
    source: str | None
    text: str
    score: float
    dense_rank: int | None
    bm25_rank: int | None
    sentence_ids: list[str]


@dataclass
class Answer:
    """The answer to one question. `mode` says how it was produced: "generated" by the LLM and checked,
    "extractive" (no LLM reachable: the best-matching sentences, quoted), or "refused" (nothing in the
    articles supports an answer; `passages` still lists the closest ones, `withheld` what the model wrote and why
    it was not shown)."""

    question: str
    standalone_question: str
    text: str
    mode: AnswerMode
    citations: list[Citation] = field(default_factory=list)
    passages: list[RetrievedPassage] = field(default_factory=list)
    notice: str | None = None  # why the answer is extractive or refused, for the user
    model: str | None = None
    short_answer: str = ""  # the model's short answer ("7", "Jabhat al-Nusra"), when one was shown
    confidence: float | None = None  # cosine("question answer", best cited sentence): gated by min_confidence
    # The sides whose differing accounts the quoted sentences give (["pro-government", "pro-opposition"]); non-empty
    # means "sources disagree", shown as such.
    disagreeing_sides: list[str] = field(default_factory=list)
    # a two-step answer's chain, one line per step: the question asked, its checked answer and its markers
    steps: list[str] = field(default_factory=list)
    # the model's raw structured reply to each question it was asked (this one, or the sub-questions it was split
    # into), for inspection and for replaying the answer with other checks (eval/recheck.py)
    drafts: dict[str, str] = field(default_factory=dict)
    withheld: list[dict[str, Any]] = field(default_factory=list)  # the short answer not shown: text, sources, problems
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage, plus "total"

    @property
    def abstained(self) -> bool:
        return self.mode == "refused"

    @property
    def statement(self) -> str:
        """What the answer itself asserts: its text without the sentences it quotes verbatim. A figure inside a
        quoted sentence is the source's ("Eleven regime fighters and 17 Daesh fighters were killed"), not the
        answer's ("17"): the eval scores this. An extractive answer asserts nothing but its quotes."""
        if self.mode == "extractive":
            return self.text
        text = self.text
        for citation in self.citations:
            text = text.replace(f"\u201c{citation.text}\u201d", " ")
        return " ".join(MARKER.sub(" ", text).split())

    @property
    def disagreement(self) -> str:
        """The "sources disagree" note for the reader ("" when the answer quotes no two sides' accounts)."""
        if not self.disagreeing_sides:
            return ""
        return f"It quotes accounts that differ ({'; '.join(self.disagreeing_sides)}); neither is confirmed here."

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["abstained"] = self.abstained
        data["disagreement"] = self.disagreement
        return data

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Answer:
        fields = {key: value for key, value in data.items() if key not in ("abstained", "disagreement")}
        fields["citations"] = [Citation(**item) for item in data.get("citations", [])]
        fields["passages"] = [RetrievedPassage(**item) for item in data.get("passages", [])]
        return cls(**fields)
