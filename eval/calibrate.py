"""Choose `min_confidence` (the abstention gate) from a measured curve, on DEV reports only.

    python eval/calibrate.py eval/reports/fakes-dev eval/reports/seeds-dev [--baseline-name pipeline]

Each report must come from a run with `min_confidence = 0` (nothing gated), so every answer the checks let through
carries its confidence: the MiniLM cosine between the question with the answer appended and the best sentence the
answer rests on. For each candidate threshold t the script recomputes what `rag eval` would report had answers
below t been withheld:
accuracy (an answerable question is right only if its answer is shown and right; an unanswerable one is right if
nothing is shown) and the false-answer rate. It prints the curve and the threshold that maximises
accuracy - false_answer_rate (a false answer costs twice: once in each). Never run it on a holdout report.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path


def load_rows(folders: list[Path]) -> list[dict]:
    rows = []
    for folder in folders:
        if "holdout" in folder.name:
            raise SystemExit(f"{folder}: calibrating on a holdout report defeats the holdout")
        rows += [json.loads(path.read_text()) for path in sorted((folder / "questions").glob("*.json"))]
    return rows


def confidence_of(row: dict) -> float | None:
    """The gated signal of a report row: the answer's confidence (None: the answer was not gated)."""
    return row["answer"].get("confidence")


def curve(
    rows: list[dict], thresholds: list[float], signal: Callable[[dict], float | None] = confidence_of
) -> list[tuple[float, float, float, int]]:
    """(threshold, accuracy, false_answer_rate, answers shown) for each threshold, had answers whose `signal` is
    below it been withheld (each row needs `answerable`, `abstained` and `correct`)."""
    unanswerable = [r for r in rows if not r["answerable"]]
    out = []
    for threshold in thresholds:

        def shown(row: dict, threshold: float = threshold) -> bool:
            value = signal(row)
            return not row["abstained"] and (value is None or value >= threshold)

        correct = sum((shown(r) and r["correct"]) if r["answerable"] else not shown(r) for r in rows)
        false_answers = sum(shown(r) for r in unanswerable)
        out.append((threshold, correct / len(rows), false_answers / max(1, len(unanswerable)), sum(map(shown, rows))))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("reports", nargs="+", type=Path, help="dev report folders (rag eval --out)")
    args = parser.parse_args()
    rows = load_rows(args.reports)
    confidences = sorted({r["answer"]["confidence"] for r in rows if r["answer"].get("confidence") is not None})
    thresholds = [0.0, *[round(c, 4) for c in confidences]]
    points = curve(rows, thresholds)
    print(f"{len(rows)} questions, {sum(not r['answerable'] for r in rows)} unanswerable")
    print(f"{'threshold':>10} {'accuracy':>9} {'false-ans':>10} {'shown':>6}")
    for threshold, accuracy, false_rate, shown in points:
        print(f"{threshold:>10.4f} {accuracy:>9.3f} {false_rate:>10.3f} {shown:>6}")
    best = max(points, key=lambda p: (p[1] - p[2], -p[0]))
    print(f"\nbest accuracy - false-answer rate: min_confidence = {best[0]} (accuracy {best[1]:.3f}, "
          f"false-answer rate {best[2]:.3f})")  # fmt: skip


if __name__ == "__main__":
    main()
