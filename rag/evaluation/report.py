"""The human-readable side of `rag eval`: report.md with tables, PNG plots (matplotlib, Agg backend), and
`compare(a, b)`, the difference between two report folders (`rag eval --compare A B`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rag.evaluation.metrics import METRIC_KEYS

PIPELINE = "pipeline"
LABELS = {
    "accuracy": "accuracy",
    "citation_precision_gold": "citation precision (gold)",
    "citation_precision_judge": "citation precision (judge)",
    "citation_recall": "citation recall",
    "abstention_accuracy": "abstention accuracy",
    "evidence_hit_at_10": "evidence hit@10",
    "mrr": "MRR@10",
    "token_f1": "token F1",
    "false_answer_rate": "false-answer rate",
    "wrong_answer_rate": "wrong-answer rate",
    "accuracy_with_quotes": "accuracy counting quotes",
}


def fmt(value: Any, digits: int = 3) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def system_folder(out: Path, name: str) -> Path:
    """Where a report folder keeps a system's per-question rows: questions/ for the pipeline, baselines/NAME/."""
    return out / "questions" if name == PIPELINE else out / "baselines" / name


def systems(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every system's figures in a summary by name, the headline one (the pipeline, unless `--only` left it out)
    first."""
    return {summary.get("system", PIPELINE): summary, **summary.get("baselines", {})}


def load_run(folder: str | Path) -> tuple[dict[str, Any], dict[str, list[dict]]]:
    """summary.json and the per-question rows of every system in a report folder."""
    folder = Path(folder)
    summary_path = folder / "summary.json"
    if not summary_path.is_file():
        raise FileNotFoundError(f"{folder} is not an eval report folder (no summary.json)")
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    return summary, {name: _rows(system_folder(folder, name)) for name in systems(summary)}


def _rows(folder: Path) -> list[dict]:
    if not folder.is_dir():
        return []
    return [json.loads(path.read_text(encoding="utf-8")) for path in sorted(folder.glob("*.json"))]


def write_report(out: str | Path, summary: dict[str, Any], results: dict[str, list[dict]]) -> Path:
    """report.md plus per_type.png, latency.png and (with baselines) systems.png in `out`."""
    out = Path(out)
    plots = _plots(out, summary, results)
    config = summary.get("config", {})
    parts = [
        "# Evaluation report",
        "",
        f"Eval set `{config.get('eval_set')}`, corpus `{config.get('corpus')}`, {summary['n']} questions; "
        f"retrieval `{config.get('retrieval_mode')}`, top_k {config.get('top_k')}; "
        f"LLM {config.get('llm')}; commit {config.get('git_commit')}; finished {config.get('finished')}.",
        "",
        "**Citation precision (gold)**, the headline, needs no model: a cited sentence counts only if it is (or "
        "contains, or is part of) a gold evidence sentence, or states part of a gold answer inside an article that "
        "holds gold evidence; every citation of an answer to an unanswerable question counts as unsupported.",
        "",
        f"Citation precision (judge) also accepts what this judge accepts: **{summary.get('support_judged_by')}** "
        f"({summary.get('judge_calls', 0)} judge calls, {summary.get('judge_failures', 0)} failed).",
        "",
        "## Overall",
        "",
    ]
    by_name = systems(summary)
    repeats = {name: data["repeat"] for name, data in by_name.items() if data.get("repeat")}
    if repeats:
        runs = next(iter(repeats.values()))["runs"]
        parts += [
            f"Every question was answered {runs} times; the metrics are means over the runs. Spread:",
            "",
            _table(
                ["system", "accuracy mean [min, max]", "false-answer rate mean [min, max]", "answer text changed"],
                [
                    [name, _spread(r["accuracy"]), _spread(r["false_answer_rate"]), fmt(r["answer_changed_share"])]
                    for name, r in repeats.items()
                ],
            ),
            "",
        ]
    parts.append(
        _table(
            ["metric", *by_name],
            [[LABELS[key], *(fmt(data.get(key)) for data in by_name.values())] for key in METRIC_KEYS]
            + [["errors", *(fmt(data.get("errors", 0)) for data in by_name.values())]],
        )
    )
    parts += ["", "## Per question type (pipeline)", ""]
    per_type = summary.get("per_type", {})
    parts.append(
        _table(
            ["type", "n", *(LABELS[k] for k in METRIC_KEYS)],
            [[kind, fmt(data.get("n")), *(fmt(data.get(k)) for k in METRIC_KEYS)] for kind, data in per_type.items()],
        )
    )
    parts += ["", "## Latency (seconds, pipeline)", ""]
    parts.append(
        _table(
            ["stage", "p50", "p95", "n"],
            [
                [stage, fmt(v.get("p50"), 2), fmt(v.get("p95"), 2), fmt(v.get("n"))]
                for stage, v in summary.get("latency", {}).items()
            ],
        )
    )
    for name, data in summary.get("baselines", {}).items():
        total = data.get("latency", {}).get("total", {})
        parts.append(f"\n{name}: total p50 {fmt(total.get('p50'), 2)} s, p95 {fmt(total.get('p95'), 2)} s")
    parts += ["", "## Plots", ""] + [f"![{p.stem}]({p.name})" for p in plots]
    parts += ["", "## Questions (pipeline)", ""]
    parts.append(
        _table(
            ["id", "type", "correct", "F1", "hit rank", "gold citations", "answer"],
            [
                [
                    row["id"],
                    row["type"],
                    "yes" if row["correct"] else "**no**",
                    fmt(row.get("token_f1"), 2),
                    fmt(row.get("first_hit_rank")),
                    f"{sum(c['gold_supported'] for c in row.get('citations', []))}/{len(row.get('citations', []))}",
                    _cell(row.get("answer_text", ""), row.get("error")),
                ]
                for row in results.get(PIPELINE, [])
            ],
        )
    )
    path = out / "report.md"
    path.write_text("\n".join(parts) + "\n", encoding="utf-8")
    return path


def _spread(values: dict[str, Any]) -> str:
    return f"{fmt(values.get('mean'))} [{fmt(values.get('min'))}, {fmt(values.get('max'))}]"


def _cell(text: str, error: str | None) -> str:
    text = f"ERROR {error}" if error else text
    text = " ".join(text.split()).replace("|", "\\|")
    return text[:160] + ("…" if len(text) > 160 else "")


def _plots(out: Path, summary: dict[str, Any], results: dict[str, list[dict]]) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written: list[Path] = []
    per_type = summary.get("per_type", {})
    if per_type:
        kinds = list(per_type)
        fig, ax = plt.subplots(figsize=(max(6.0, 1.1 * len(kinds) + 2), 4))
        width = 0.38
        for offset, key in ((-width / 2, "accuracy"), (width / 2, "citation_precision_gold")):
            values = [per_type[k].get(key) or 0.0 for k in kinds]
            ax.bar([i + offset for i in range(len(kinds))], values, width, label=LABELS[key])
        ax.set_xticks(range(len(kinds)), [f"{k}\n(n={per_type[k].get('n')})" for k in kinds], fontsize=8)
        ax.set_ylim(0, 1.05)
        ax.set_title("Pipeline: accuracy and citation precision (gold) per question type")
        ax.legend(loc="lower right", fontsize=8)
        fig.tight_layout()
        written.append(_save(fig, out / "per_type.png"))
        plt.close(fig)

    stages: dict[str, list[float]] = {}
    for row in results.get(PIPELINE, []):
        for stage, seconds in (row.get("timings") or {}).items():
            stages.setdefault(stage, []).append(float(seconds))
    if stages:
        fig, ax = plt.subplots(figsize=(7, 4))
        ax.boxplot(list(stages.values()))
        ax.set_xticks(range(1, len(stages) + 1), list(stages))
        ax.set_ylabel("seconds")
        ax.set_title("Pipeline latency per stage")
        fig.tight_layout()
        written.append(_save(fig, out / "latency.png"))
        plt.close(fig)

    baselines = summary.get("baselines", {})
    if baselines:
        by_name = systems(summary)
        keys = ("accuracy", "citation_precision_gold", "citation_recall", "evidence_hit_at_10")
        fig, ax = plt.subplots(figsize=(8, 4))
        width = 0.8 / len(by_name)
        for index, (name, data) in enumerate(by_name.items()):
            values = [data.get(k) or 0.0 for k in keys]
            ax.bar([i + (index - (len(by_name) - 1) / 2) * width for i in range(len(keys))], values, width, label=name)
        ax.set_xticks(range(len(keys)), [LABELS[k] for k in keys])
        ax.set_ylim(0, 1.05)
        ax.set_title("Pipeline vs baselines")
        ax.legend(fontsize=8)
        fig.tight_layout()
        written.append(_save(fig, out / "systems.png"))
        plt.close(fig)
    return written


def _save(fig: Any, path: Path) -> Path:
    fig.savefig(path, dpi=110)
    return path


def compare(a_dir: str | Path, b_dir: str | Path) -> str:
    """Markdown: every metric of run A and run B (overall, per type, latency) with B - A, and the questions whose
    correctness changed."""
    a, a_rows = load_run(a_dir)
    b, b_rows = load_run(b_dir)
    parts = [f"# Eval comparison\n\nA = `{a_dir}` ({a.get('n')} questions)\nB = `{b_dir}` ({b.get('n')} questions)\n"]
    if a.get("config", {}).get("eval_set") != b.get("config", {}).get("eval_set"):
        parts.append("**Warning: the two runs used different eval sets.**\n")
    parts.append("## Overall\n")
    parts.append(_diff_table(a, b))
    kinds = list(dict.fromkeys([*a.get("per_type", {}), *b.get("per_type", {})]))
    for kind in kinds:
        parts.append(f"\n## type {kind}\n")
        parts.append(_diff_table(a.get("per_type", {}).get(kind, {}), b.get("per_type", {}).get(kind, {})))
    parts.append("\n## Latency p50 / p95 (seconds)\n")
    stages = list(dict.fromkeys([*a.get("latency", {}), *b.get("latency", {})]))
    rows = []
    for stage in stages:
        la, lb = a.get("latency", {}).get(stage, {}), b.get("latency", {}).get(stage, {})
        for q in ("p50", "p95"):
            rows.append([f"{stage} {q}", fmt(la.get(q), 2), fmt(lb.get(q), 2), _delta(la.get(q), lb.get(q), 2)])
    parts.append(_table(["stage", "A", "B", "B - A"], rows))
    for name in sorted(set(a.get("baselines", {})) & set(b.get("baselines", {}))):
        parts.append(f"\n## baseline {name}\n")
        parts.append(_diff_table(a["baselines"][name], b["baselines"][name]))
    before = {row["id"]: row for row in a_rows.get(PIPELINE, [])}
    changed = []
    for row in b_rows.get(PIPELINE, []):
        old = before.get(row["id"])
        if old is not None and bool(old["correct"]) != bool(row["correct"]):
            verdict = "fixed" if row["correct"] else "broken"
            changed.append([row["id"], row["type"], verdict, _cell(old.get("answer_text", ""), None),
                            _cell(row.get("answer_text", ""), row.get("error"))])  # fmt: skip
    parts.append("\n## Questions whose correctness changed\n")
    parts.append(_table(["id", "type", "change", "A answer", "B answer"], changed) if changed else "none")
    return "\n".join(parts) + "\n"


def _diff_table(a: dict[str, Any], b: dict[str, Any]) -> str:
    rows = [["n", fmt(a.get("n")), fmt(b.get("n")), ""]]
    rows += [[LABELS[key], fmt(a.get(key)), fmt(b.get(key)), _delta(a.get(key), b.get(key))] for key in METRIC_KEYS]
    return _table(["metric", "A", "B", "B - A"], rows)


def _delta(a: Any, b: Any, digits: int = 3) -> str:
    if a is None or b is None:
        return "–"
    return f"{b - a:+.{digits}f}"
