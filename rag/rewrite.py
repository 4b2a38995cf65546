"""Follow-up questions ("How many were killed there?") become standalone questions before retrieval."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rag.llm import LLMClient, prompt

HISTORY_TURNS = 6  # messages of context given to the rewriter
ANSWER_CHARS = 300  # earlier answers are cut to this length in that context

Message = dict[str, Any]


def normalise_history(history: Sequence[Message] | Sequence[tuple[str, str]] | None) -> list[Message]:
    """Chat history as [{"role": "user"|"assistant", "content": str}], from messages or (user, assistant) pairs."""
    messages: list[Message] = []
    for item in history or []:
        if isinstance(item, dict):
            if item.get("role") in ("user", "assistant") and isinstance(item.get("content"), str):
                messages.append({"role": item["role"], "content": item["content"]})
        else:
            user, assistant = item
            messages += [{"role": "user", "content": user}, {"role": "assistant", "content": assistant or ""}]
    return messages


def standalone_question(llm: LLMClient | None, history: list[Message], question: str) -> str:
    """The question rewritten with the conversation's referents; unchanged when there is no earlier question.
    Without a model, the previous question is prepended so retrieval still sees what "there" refers to."""
    earlier = [m["content"] for m in history if m["role"] == "user"]
    if not earlier or _same(earlier[-1], question):  # nothing to resolve, or the question asked again
        return question
    if llm is None:
        return f"{earlier[-1]} {question}"
    context = "\n".join(
        f"{m['role'].capitalize()}: {' '.join(m['content'].split())[:ANSWER_CHARS]}" for m in history[-HISTORY_TURNS:]
    )
    rewritten = llm.complete([{"role": "user", "content": prompt("rewrite", history=context, question=question)}], 80)
    rewritten = rewritten.strip().splitlines()[0].strip(" \"'") if rewritten.strip() else ""
    return rewritten if 3 <= len(rewritten) <= 4 * len(question) + 200 else question


def _same(first: str, second: str) -> bool:
    return " ".join(first.lower().split()) == " ".join(second.lower().split())
