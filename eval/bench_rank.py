"""Which second-stage ranking puts the gold evidence sentence first? Prints MRR, hit@3 and hit@12 (the
sentences shown to the model) and seconds per question for each method, on an eval set over an index.

    python eval/bench_rank.py eval/sets/seeds-dev.jsonl --index index [--no-llm]

Methods: passage order (no second stage), sentence cosine similarity (MiniLM), cosine plus the passage's
reciprocal rank (the default, `rag.rank`), and the local LLM as a yes/no relevance judge (P(yes) per sentence).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from rag import rank
from rag.assistant import Assistant
from rag.llm import prompt
from rag.rank import Candidate


def _key(text: str) -> str:
    return " ".join(text.lower().replace("’", "'").replace("“", '"').replace("”", '"').split())


def _gold_rank(ordered: list[Candidate], gold: list[str]) -> int | None:
    for position, candidate in enumerate(ordered, start=1):
        if any(_key(candidate.text) in g or g in _key(candidate.text) for g in gold):
            return position
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("eval_set", type=Path)
    parser.add_argument("--index", type=Path, default=Path("index"))
    parser.add_argument("--no-llm", action="store_true", help="skip the LLM judge")
    parser.add_argument("--limit", type=int, help="only the first N answerable questions (the LLM judge is slow)")
    args = parser.parse_args()
    questions = [json.loads(line) for line in args.eval_set.read_text().splitlines() if line.strip()]
    questions = [q for q in questions if q["evidence"]][: args.limit]
    assistant = Assistant.open(args.index, llm_enabled=not args.no_llm)
    embedder = assistant.retriever.embedder

    def by_cosine(question: str, found: list[Candidate]) -> list[Candidate]:
        ranked = rank.rank(embedder, question, found)
        return sorted(ranked, key=lambda c: c.similarity, reverse=True)

    def by_llm(question: str, found: list[Candidate]) -> list[Candidate]:
        scores = [
            assistant.llm.probability_yes(prompt("relevance", sentence=c.text, question=question))  # type: ignore[union-attr]
            for c in found
        ]
        return [c for _, c in sorted(zip(scores, found, strict=True), key=lambda pair: -pair[0])]

    methods: dict[str, Callable[[str, list[Candidate]], list[Candidate]]] = {
        "passage order": lambda question, found: found,
        "sentence cosine": by_cosine,
        f"cosine + {rank.PASSAGE_WEIGHT}/passage rank (default)": lambda q, found: rank.rank(embedder, q, found),
    }
    if assistant.llm is not None:
        methods["LLM yes/no judge"] = by_llm
    results: dict[str, dict[str, list[float]]] = {name: {"rr": [], "h3": [], "h12": [], "s": []} for name in methods}
    for item in questions:
        passages = assistant.retriever.retrieve(item["question"], assistant.settings.top_k)
        found = rank.candidates(assistant.store, passages)
        gold = [_key(e["text"]) for e in item["evidence"]]
        for name, method in methods.items():
            started = time.perf_counter()
            ordered = method(item["question"], list(found))
            position = _gold_rank(ordered, gold)
            results[name]["s"].append(time.perf_counter() - started)
            results[name]["rr"].append(1 / position if position else 0.0)
            results[name]["h3"].append(float(bool(position and position <= 3)))
            results[name]["h12"].append(float(bool(position and position <= 12)))
    assistant.close()
    print(f"{len(questions)} answerable questions, {assistant.settings.top_k} passages each")
    print(f"{'method':45} {'MRR':>6} {'hit@3':>6} {'hit@12':>7} {'s/question':>11}")
    for name, r in results.items():
        print(
            f"{name:45} {statistics.mean(r['rr']):6.3f} {statistics.mean(r['h3']):6.2f} "
            f"{statistics.mean(r['h12']):7.2f} {statistics.mean(r['s']):11.2f}"
        )


if __name__ == "__main__":
    main()
