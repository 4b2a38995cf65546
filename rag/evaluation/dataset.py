"""Eval sets: JSONL, one question a line (see eval/README.md):

    {"id": "dev-01", "question": "...", "answers": ["acceptable", ...],   # empty list = unanswerable
     "evidence": [{"doc": "file name or id", "text": "verbatim sentence"}], "type": "factoid"}

An acceptable answer may be a list of strings that must all appear (a conflict question's two figures:
`"answers": [["20", "no casualties"]]`). Unanswerable questions may name their `near_miss` sentences (the tempting
ones that do not answer them), in the evidence format.

`load_eval_set` validates every line and reports all problems at once, each with its line number.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

QUESTION_TYPES = ("factoid", "numeric", "date", "list", "multi", "conflict", "unanswerable")


class EvalSetError(ValueError):
    """The eval set cannot be used; the message lists every bad line."""


@dataclass(frozen=True)
class Evidence:
    doc: str
    text: str


Acceptable = tuple[str, ...]  # every string must appear in the answer; a plain answer is a 1-tuple


@dataclass(frozen=True)
class EvalQuestion:
    id: str
    question: str
    answers: tuple[Acceptable, ...]
    evidence: tuple[Evidence, ...] = field(default_factory=tuple)
    type: str = "factoid"
    line: int = 0
    near_miss: tuple[Evidence, ...] = field(default_factory=tuple)

    @property
    def answerable(self) -> bool:
        return bool(self.answers)

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "question": self.question,
            "answers": plain_answers(self.answers),
            "evidence": [{"doc": e.doc, "text": e.text} for e in self.evidence],
            "type": self.type,
            **({"near_miss": [{"doc": e.doc, "text": e.text} for e in self.near_miss]} if self.near_miss else {}),
        }


def plain_answers(answers: tuple[Acceptable, ...]) -> list[str | list[str]]:
    """The `answers` field as written in the set: a 1-tuple is a plain string."""
    return [group[0] if len(group) == 1 else list(group) for group in answers]


def load_eval_set(path: str | Path, limit: int | None = None) -> list[EvalQuestion]:
    """Parse and validate a JSONL eval set. Unknown types are accepted (reported per type like the others) but
    `type` must be a non-empty string; an unanswerable question must have no answers; ids must be unique."""
    path = Path(path)
    if not path.is_file():
        raise EvalSetError(f"eval set {path} does not exist")
    problems: list[str] = []
    questions: list[EvalQuestion] = []
    seen: dict[str, int] = {}
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except UnicodeDecodeError as error:
        raise EvalSetError(f"{path}: not UTF-8 text ({error.reason})") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            question = _parse(json.loads(line), number)
        except json.JSONDecodeError as error:
            problems.append(f"line {number}: invalid JSON ({error.msg} at column {error.colno})")
            continue
        except ValueError as error:
            problems.append(f"line {number}: {error}")
            continue
        if question.id in seen:
            problems.append(f"line {number}: id {question.id!r} already used on line {seen[question.id]}")
            continue
        seen[question.id] = number
        questions.append(question)
    if problems:
        shown = problems[:20] + ([f"... and {len(problems) - 20} more"] if len(problems) > 20 else [])
        raise EvalSetError(f"{path}: {len(problems)} bad line(s):\n  " + "\n  ".join(shown))
    if not questions:
        raise EvalSetError(f"{path}: no questions")
    return questions[:limit] if limit else questions


def _parse(row: object, number: int) -> EvalQuestion:
    if not isinstance(row, dict):
        raise ValueError("expected a JSON object")
    missing = [key for key in ("id", "question", "answers") if key not in row]
    if missing:
        raise ValueError(f"missing field(s): {', '.join(missing)}")
    qid, question, answers = row["id"], row["question"], row["answers"]
    if not isinstance(qid, str | int) or isinstance(qid, bool) or not str(qid).strip():
        raise ValueError("'id' must be a non-empty string")
    if not isinstance(question, str) or not question.strip():
        raise ValueError("'question' must be a non-empty string")
    scalar = str | int | float
    if not isinstance(answers, list) or not all(
        isinstance(a, scalar) or (isinstance(a, list) and a and all(isinstance(x, scalar) for x in a)) for a in answers
    ):
        raise ValueError(
            "'answers' must be a list of strings, or of lists of strings that must all appear "
            "(empty for an unanswerable question)"
        )
    groups = [tuple(str(x) for x in (a if isinstance(a, list) else [a]) if str(x).strip()) for a in answers]
    answers = [group for group in groups if group]
    items = _evidence(row.get("evidence"), "evidence")
    kind = row.get("type") or ("factoid" if answers else "unanswerable")
    if not isinstance(kind, str) or not kind.strip():
        raise ValueError("'type' must be a string such as " + "|".join(QUESTION_TYPES))
    kind = kind.strip().lower()
    if kind == "unanswerable" and answers:
        raise ValueError("type 'unanswerable' but 'answers' is not empty")
    return EvalQuestion(
        id=str(qid).strip(),
        question=question.strip(),
        answers=tuple(answers),
        evidence=items,
        type=kind,
        line=number,
        near_miss=_evidence(row.get("near_miss"), "near_miss"),
    )


def _evidence(value: object, name: str) -> tuple[Evidence, ...]:
    if not value:
        return ()
    if not isinstance(value, list):
        raise ValueError(f'{name!r} must be a list of {{"doc", "text"}} objects')
    items = []
    for position, item in enumerate(value, start=1):
        if isinstance(item, str):
            item = {"doc": "", "text": item}
        if not isinstance(item, dict) or not isinstance(item.get("text"), str) or not item["text"].strip():
            raise ValueError(f'{name} {position}: expected {{"doc": ..., "text": "verbatim sentence"}}')
        items.append(Evidence(doc=str(item.get("doc") or ""), text=item["text"]))
    return tuple(items)
