"""Re-score a `rag eval` run's recorded model replies with the current checks, without the model.

    python eval/recheck.py REPORT_DIR SET.jsonl --index INDEX_DIR --out NEW_REPORT_DIR [--min-confidence X]

Generation is deterministic (temperature 0, fixed seed) and retrieval does not depend on the checks, so a change to
`rag/answer/check.py` or to the gates only changes what happens to the same replies: this script replays each
question's recorded replies (`answer.drafts`: the question's, and each sub-question's of a two-event, two-count or
two-step answer) through the current pipeline (retrieval, ranking, checks, gates, rendering) and writes a new report
(citation_precision_judge is then gold-only: no judge runs). Since retrieval is the same in every process
(rag/store.py VECTOR_INDEX), a replay gives what a live run would. It is for the DEV split while tuning the checks;
on a holdout, only to apply a decision fixed before the holdout was run. A question whose reply was not recorded
(extractive or crashed), or a sub-question the recorded run never asked (a two-step answer's second step after the
checks found another first answer), gets no reply and is scored as refused.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from pathlib import Path

from rag.assistant import Assistant
from rag.config import load_settings
from rag.evaluation.dataset import load_eval_set
from rag.evaluation.report import system_folder, write_report
from rag.evaluation.runner import PIPELINE, Scorer, System, _run_system, _summary


class Replay:
    """Stands in for the LLM client: answers each question with the reply recorded for it."""

    model = "replay"
    description = "recorded replies"

    def __init__(self, replies: dict[str, str]) -> None:
        self.replies = replies

    def stream_json(self, messages: list[dict[str, str]], schema: dict, max_tokens: int | None = None) -> Iterator[str]:
        question = messages[-1]["content"].rsplit("Question:", 1)[-1].strip()
        yield self.replies.get(question, "")

    def close(self) -> None:
        pass


def _drafts(answer: dict) -> dict[str, str]:
    """The recorded replies by question: every model call of the answer (sub-questions included); a run recorded
    before `drafts` kept only the one reply, as `draft`, under the question itself."""
    if "drafts" in answer:
        return answer["drafts"]
    return {answer["standalone_question"]: answer.get("draft", "")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("report", type=Path)
    parser.add_argument("eval_set", type=Path)
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--min-confidence", type=float, default=0.0)
    args = parser.parse_args()
    rows = [json.loads(p.read_text()) for p in sorted((args.report / "questions").glob("*.json"))]
    if not rows or not (args.report / "summary.json").is_file():
        # a wrong folder would replay every question as refused; a run still writing, the rest of them
        parser.error(f"{args.report} holds no finished run (no questions/*.json or no summary.json)")
    replies = {" ".join(q.split()): draft for r in rows for q, draft in _drafts(r["answer"]).items()}
    questions = load_eval_set(args.eval_set)
    settings = load_settings(index_dir=args.index, min_confidence=args.min_confidence)
    assistant = Assistant(settings, llm=Replay(replies))  # type: ignore[arg-type]
    try:
        scorer = Scorer(assistant.store, None)
        system = System(PIPELINE, assistant.ask, "recorded replies, current checks")
        folder = system_folder(args.out, PIPELINE)
        results = {PIPELINE: [_run_system(system, questions, scorer, folder, False, lambda m: None)]}
        summary = _summary(results, questions, settings, assistant, scorer, args.eval_set, None)
        (args.out / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
        write_report(args.out, summary, {name: runs[0] for name, runs in results.items()})
    finally:
        assistant.store.close()
    keys = ("false_answer_rate", "wrong_answer_rate", "accuracy", "accuracy_with_quotes", "citation_precision_gold")
    print(" ".join(f"{k} {summary[k]:.3f}" if summary[k] is not None else f"{k} -" for k in keys))


if __name__ == "__main__":
    main()
