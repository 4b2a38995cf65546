"""What `Assistant.ask` returns: the answer text, its verified citations, what was retrieved and how long it took.

Everything here is plain data so an answer serialises to JSON (`Answer.to_dict`) for the CLI, the UI and eval.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

AnswerMode = Literal["generated", "extractive", "refused"]


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
    support: float  # 0..1: how strongly the sentence backs the claim it is cited for (see `support_method`)
    support_method: str = "llm-judge"


@dataclass(frozen=True)
class DraftWithdrawn:
    """Streamed by `Assistant.stream` when the draft shown so far failed verification and the model answers
    again from more sources: a reader of the stream clears the draft."""

    reason: str


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
    """The answer to one question. `mode` says how it was produced: "generated" by the LLM and verified,
    "extractive" (no LLM reachable: the best-matching sentences, quoted), or "refused" (nothing in the
    articles supports an answer; `passages` still lists the closest ones)."""

    question: str
    standalone_question: str
    text: str
    mode: AnswerMode
    citations: list[Citation] = field(default_factory=list)
    passages: list[RetrievedPassage] = field(default_factory=list)
    notice: str | None = None  # why the answer is extractive or refused, for the user
    model: str | None = None
    draft: str = ""  # the model's unverified text, for inspection when claims or citations were removed
    dropped_citations: list[int] = field(default_factory=list)  # draft markers removed because verification failed
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage, plus "total"

    @property
    def abstained(self) -> bool:
        return self.mode == "refused"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["abstained"] = self.abstained
        return data

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Answer:
        fields = {key: value for key, value in data.items() if key != "abstained"}
        fields["citations"] = [Citation(**item) for item in data.get("citations", [])]
        fields["passages"] = [RetrievedPassage(**item) for item in data.get("passages", [])]
        return cls(**fields)
