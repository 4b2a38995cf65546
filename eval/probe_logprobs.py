"""Would the answer tokens' log-probabilities gate abstention better than the similarity of the cited sentence?

    python eval/probe_logprobs.py SET.jsonl [SET.jsonl ...] --index INDEX_DIR --out ROWS.jsonl   # DEV sets only
    python eval/probe_logprobs.py --rows ROWS.jsonl [ROWS.jsonl ...]                              # the curves again

Runs every question through the real pipeline with the gate off (`min_confidence` 0), the bundled model asked for
the log-probabilities of its reply (slow on the bundled server: an experiment, not the product path), and records
per question: the checks' verdict, the gold score, the cited sentence's similarity and the answer tokens'
probabilities. It then prints, for each signal, the accuracy / false-answer-rate curve (`calibrate.curve`) over
the answers the checks let through: the figures issue #12 item 3 asks for before choosing a gate.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Iterator
from pathlib import Path

from calibrate import curve  # eval/, the script's own folder, is first on sys.path

from rag.assistant import Assistant
from rag.config import load_settings
from rag.evaluation import metrics
from rag.evaluation.dataset import load_eval_set
from rag.llm import LLMClient

ANSWER_KEY = '"answer"'


class LoggingLLM(LLMClient):
    """The bundled model, asked once per question for its whole reply with each token's log-probability."""

    last: list[tuple[str, float]]

    def stream_json(self, messages: list[dict[str, str]], schema: dict, max_tokens: int | None = None) -> Iterator[str]:
        response = self._client.chat.completions.create(
            **self.request_args(messages, max_tokens), logprobs=True, timeout=self.settings.llm_timeout
        )
        choice = response.choices[0]
        content = choice.logprobs.content if choice.logprobs else []
        self.last = [(t.token, t.logprob) for t in content or []]
        yield choice.message.content or ""


def answer_tokens(tokens: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """The tokens of the JSON "answer" value (after `"answer": "`, up to its closing quote)."""
    text, start = "", None
    for position, (token, _) in enumerate(tokens):
        text += token
        if start is None and ANSWER_KEY in text:
            after = text.split(ANSWER_KEY, 1)[1]
            if '"' in after:  # the value's opening quote has been written
                start = position + 1
                if after.split('"', 1)[1]:  # the same token already holds the value's first characters
                    start = position
        elif start is not None and '"' in token and position > start:
            return tokens[start : position + (0 if token.strip().startswith('"') else 1)]
    return tokens[start:] if start is not None else []


def probe(sets: list[Path], index: Path) -> list[dict]:
    settings = load_settings(index_dir=index, min_confidence=0.0, llm_logprobs=True)  # answers with logprobs
    llm = LoggingLLM(settings)
    assistant = Assistant(settings, llm=llm)
    rows = []
    try:
        for eval_set in sets:
            for question in load_eval_set(eval_set):
                llm.last = []
                answer = assistant.ask(question.question)
                scores = metrics.answer_scores(answer.statement, answer.abstained, question.answers, answer.text)
                value = answer_tokens(llm.last)
                rows.append(
                    {
                        "set": eval_set.name,
                        "id": question.id,
                        "type": question.type,
                        "answerable": question.answerable,
                        "abstained": answer.abstained,
                        "correct": bool(scores["correct"]),
                        "similarity": answer.confidence,
                        "notice": answer.notice,
                        "drafts": answer.drafts,
                        "answer_logprobs": [lp for _, lp in value],
                        "answer_tokens": [t for t, _ in value],
                    }
                )
                print(json.dumps({k: rows[-1][k] for k in ("id", "abstained", "correct", "similarity")}), flush=True)
    finally:
        assistant.close()
    return rows


SIGNALS = {
    "similarity": lambda r: r["similarity"] or 0.0,
    "min token p": lambda r: math.exp(min(r["answer_logprobs"])) if r["answer_logprobs"] else 0.0,
    "mean token logprob": lambda r: (
        sum(r["answer_logprobs"]) / len(r["answer_logprobs"]) if r["answer_logprobs"] else -9.0
    ),
    "first token p": lambda r: math.exp(r["answer_logprobs"][0]) if r["answer_logprobs"] else 0.0,
    "answer p (product)": lambda r: math.exp(sum(r["answer_logprobs"])) if r["answer_logprobs"] else 0.0,
}


def curves(rows: list[dict]) -> None:
    """For each signal: at each cut, accuracy over all questions and false-answer rate over the unanswerable ones,
    when answers below the cut are withheld (answers the checks withheld stay withheld)."""
    shown = [r for r in rows if not r["abstained"]]
    print(
        f"{len(rows)} questions, {sum(not r['answerable'] for r in rows)} unanswerable; {len(shown)} answers pass "
        f"the checks: {sum(r['correct'] for r in shown)} right, {sum(not r['answerable'] for r in shown)} false "
        f"answers, {sum(r['answerable'] and not r['correct'] for r in shown)} wrong"
    )
    for name, signal in SIGNALS.items():
        print(f"\n{name}: cut -> accuracy / false-answer rate (answers shown)")
        for cut, accuracy, false_rate, kept in curve(rows, sorted({signal(r) for r in shown}), signal):
            print(f"  {cut:8.4f} -> {accuracy:.3f} / {false_rate:.3f}  ({kept})")
    for r in shown:
        if not r["correct"]:
            print(
                "not right:",
                r["id"],
                r["similarity"],
                [round(math.exp(x), 3) for x in r["answer_logprobs"]],
                "".join(r["answer_tokens"]),
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sets", type=Path, nargs="*")
    parser.add_argument("--index", type=Path)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--rows", type=Path, nargs="*", default=[])
    args = parser.parse_args()
    rows = [json.loads(line) for path in args.rows for line in path.read_text().splitlines() if line.strip()]
    if args.sets:
        if not (args.index and args.out):
            parser.error("--index and --out are needed to run sets")
        new = probe(args.sets, args.index)
        args.out.write_text("".join(json.dumps(r) + "\n" for r in new), encoding="utf-8")
        rows += new
    curves(rows)


if __name__ == "__main__":
    main()
