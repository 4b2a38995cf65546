"""`rag eval`: ingest the corpus (incremental: a no-change run costs nothing), ask every question of the eval set,
score each answer against its gold answers and evidence, and write a report folder:

    OUT/summary.json            overall + per-type metrics, latency p50/p95 per stage, config, baselines
    OUT/questions/<id>.json     per question: the Answer, its scores, each citation's verdict
    OUT/baselines/<name>/...    the same per baseline (with --baseline)
    OUT/report.md + *.png       tables and plots (rag/evaluation/report.py)

    from rag.evaluation import run_eval
    summary = run_eval("eval/sets/seeds-dev.jsonl", "eval/corpora/seeds", settings, "eval/reports/dev")
"""

from __future__ import annotations

import difflib
import json
import platform
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rag.answer import Answer
from rag.answer.check import split_claims
from rag.config import Settings, load_settings
from rag.evaluation import metrics
from rag.evaluation.dataset import EvalQuestion, load_eval_set, plain_answers
from rag.llm import LLMClient, LLMUnavailable, prompt
from rag.store import IndexStore

PIPELINE = "pipeline"
BASELINES = ("bm25-only", "dense-only", "llamaindex-citation")
FUZZY_SENTENCE_RATIO = 0.9  # an evidence sentence matches a sentence of its own article at this similarity
# The eval's own judge (for citation_precision_judge only): its own stricter prompt (prompts/eval_judge.txt) and a
# higher bar than anything the pipeline uses, so it does not simply repeat the answering model's own checks.
EVAL_JUDGE_THRESHOLD = 0.8
# A system that answers with the LLM and gets no LLM answer this many times in a row is measuring the extractive
# fallback (or nothing), not itself: the run stops and says so instead of writing figures that look real.
LLM_FAILURES_IN_A_ROW = 3
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass
class System:
    name: str
    ask: Callable[[str], Answer]
    description: str
    needs_llm: bool = False  # its answers come from the LLM: an extractive fallback or a crash is an LLM failure


class EvalAborted(Exception):
    """The run cannot measure what it claims to (the LLM stopped answering); nothing after this point is scored."""


def check_systems(names: list[str]) -> list[str]:
    """The names, if each is a system `rag eval` can run; ValueError naming the unknown ones otherwise."""
    unknown = sorted(set(names) - {PIPELINE, *BASELINES})
    if unknown:
        raise ValueError(f"unknown system(s) {', '.join(unknown)}: choose from {PIPELINE}, {', '.join(BASELINES)}")
    return names


def default_out_dir(set_path: str | Path) -> Path:
    return Path("eval/reports") / f"{Path(set_path).stem}-{datetime.now():%Y%m%d-%H%M%S}"


def default_index_dir(corpus: str | Path) -> Path:
    """A dedicated index per corpus, so a run measures exactly that corpus (and re-runs reuse it)."""
    import hashlib

    resolved = str(Path(corpus).resolve())
    digest = hashlib.sha1(resolved.encode()).hexdigest()[:8]
    return Path("eval/reports/indexes") / f"{_SAFE_NAME.sub('_', Path(corpus).stem)}-{digest}"


def run_eval(
    set_path: str | Path,
    corpus: str | Path | None = None,
    settings: Settings | None = None,
    out_dir: str | Path | None = None,
    baselines: bool = False,
    progress: bool = True,
    limit: int | None = None,
    on_status: Callable[[str], None] | None = None,
    repeat: int = 1,
    only: list[str] | None = None,
) -> dict[str, Any]:
    """Evaluate the default pipeline (and with `baselines`, the three baselines) on an eval set; returns the
    summary that is also written to OUT/summary.json. `corpus` None = use the index as it is. With `repeat` > 1
    every question is answered that many times (nothing is cached between runs): metrics are means over the runs
    and `repeat` in the summary gives their spread. `only` runs just the named systems (a baseline's runs cost up
    to ~4x the pipeline's on 2 cores); the summary's top level is then the first of them (`system` names it)."""
    if repeat < 1:
        raise ValueError("repeat must be at least 1")
    check_systems(only or [])
    from rag.assistant import Assistant
    from rag.evaluation.report import system_folder, write_report

    status = on_status or (lambda message: print(message, file=sys.stderr, flush=True))
    questions = load_eval_set(set_path, limit=limit)
    settings = settings or load_settings()
    out = Path(out_dir) if out_dir else default_out_dir(set_path)
    out.mkdir(parents=True, exist_ok=True)

    if corpus is not None:
        from rag.ingest.pipeline import ingest

        status(f"ingesting {corpus} into {settings.index_dir} (only what changed)")
        report = ingest([Path(corpus)], settings, progress=progress, on_status=status)
        status(
            "index is up to date"
            if report.up_to_date
            else f"ingested: {report.articles} articles, {report.chunks} chunks ({report.seconds.get('total')} s)"
        )

    assistant = Assistant.open(settings=settings)
    extra: list[Assistant] = []
    try:
        if assistant.llm is None:
            status(f"warning: no LLM ({assistant.llm_error}); answers are extractive and support is gold-match only")
        scorer = Scorer(assistant.store, assistant.llm, corpus)
        with_llm = assistant.llm is not None
        systems = [System(PIPELINE, assistant.ask, f"hybrid pipeline: {assistant.model_description}", with_llm)]
        if baselines or set(only or []) & set(BASELINES):
            systems += _baseline_systems(assistant, settings, extra, status)
        if only:
            systems = [system for system in systems if system.name in only]
        results: dict[str, list[list[dict]]] = {}
        for system in systems:
            folder = system_folder(out, system.name)
            results[system.name] = [
                _run_system(system, questions, scorer, folder if run == 1 else folder / f"run{run}", progress, status)
                for run in range(1, repeat + 1)
            ]
            # written after every system, so a long run interrupted during a baseline keeps the pipeline's report
            summary = _summary(results, questions, settings, assistant, scorer, set_path, corpus)
            (out / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
            write_report(out, summary, {name: runs[0] for name, runs in results.items()})
    finally:
        for other in extra:
            other.store.close()  # shares the pipeline's LLM client, closed with it
        assistant.close()
    status(f"report: {out / 'report.md'}")
    return summary


def _baseline_systems(assistant: Any, settings: Settings, extra: list, status: Callable[[str], None]) -> list[System]:
    from rag.assistant import Assistant

    systems = []
    for mode, name in (("bm25", "bm25-only"), ("dense", "dense-only")):
        other = Assistant(settings.model_copy(update={"retrieval_mode": mode}), llm=assistant.llm)
        other.llm_error = assistant.llm_error
        extra.append(other)
        systems.append(
            System(name, other.ask, f"the same pipeline with {mode}-only retrieval", assistant.llm is not None)
        )
    if assistant.llm is None:
        status("warning: no LLM endpoint, so the llama-index CitationQueryEngine baseline is skipped")
        return systems
    from rag.evaluation.baselines import CitationEngineBaseline

    llm = assistant.llm
    engine = CitationEngineBaseline(settings, assistant.store, llm.endpoint, llm.model, llm.api_key)
    systems.append(
        System(engine.name, engine.ask, "llama-index VectorStoreIndex + CitationQueryEngine, same index and LLM", True)
    )
    return systems


def _run_system(
    system: System,
    questions: list[EvalQuestion],
    scorer: Scorer,
    folder: Path,
    progress: bool,
    status: Callable[[str], None],
) -> list[dict]:
    from tqdm import tqdm

    folder.mkdir(parents=True, exist_ok=True)
    answers: list[tuple[Answer, str | None]] = []
    desc = f"eval {system.name}" + (f" ({folder.name})" if folder.name.startswith("run") else "")
    bar = tqdm(questions, desc=desc, unit="q", disable=not progress, file=sys.stderr)
    failures_in_a_row = 0
    for question in bar:
        try:
            answers.append((system.ask(question.question), None))
        except Exception as exc:  # one failing question must not lose the run: it is scored as wrong
            error = f"{type(exc).__name__}: {exc}"
            refused = Answer(question=question.question, standalone_question=question.question, text="", mode="refused")
            refused.notice = error
            answers.append((refused, error))
        answer, error = answers[-1]
        failed = system.needs_llm and (error is not None or answer.mode == "extractive")
        failures_in_a_row = failures_in_a_row + 1 if failed else 0
        if failures_in_a_row >= LLM_FAILURES_IN_A_ROW:
            raise EvalAborted(
                f"{system.name}: no LLM answer for {failures_in_a_row} questions in a row (last, {question.id}: "
                f"{error or answer.notice}); the figures would measure the fallback, so the run stops here. "
                "Fix the LLM endpoint and run again."
            )
    # scored only once every question is answered: on a configured endpoint the judge's prompts would otherwise
    # evict the answer prompt's cached prefix between questions, and the measured latency would not be the product's
    # (the bundled model's judge has a server of its own, LLMClient.probability_yes)
    rows: list[dict] = []
    for question, (answer, error) in zip(questions, answers, strict=True):
        row = scorer.score(question, answer)
        row["system"], row["error"] = system.name, error
        if error:  # a crash is not an abstention: it is wrong whatever the question
            row.update(correct=False, abstention_correct=False, token_f1=0.0)
        rows.append(row)
        (folder / f"{_SAFE_NAME.sub('_', question.id)}.json").write_text(
            json.dumps(row, indent=2, ensure_ascii=False), encoding="utf-8"
        )
        if not progress:
            status(f"{system.name} {question.id}: {'correct' if row['correct'] else 'wrong'}")
    return rows


class Scorer:
    """Scores answers against gold answers/evidence. Evidence is located in the index once per question: a
    sentence is gold if its normalised text contains (or is part of) a gold evidence text anywhere in the index
    (so every duplicate copy is covered), or, within the article its `doc` names, is at least 90% similar to it.

    A citation is `gold_supported` (citation_precision_gold, needs no model) when its sentence is gold, or states
    (part of) a gold answer and belongs to an article that holds gold evidence; for an unanswerable question no
    citation is. It is `supported` (citation_precision_judge) when gold_supported, or when the eval's own LLM judge
    (prompts/eval_judge.txt, P(yes) >= EVAL_JUDGE_THRESHOLD) says it states an answer sentence that cites it."""

    def __init__(self, store: IndexStore, llm: LLMClient | None, corpus: str | Path | None = None) -> None:
        self.store = store
        self.llm = llm
        self.judge_failures = 0
        self.judge_calls = 0
        self._cache: dict[tuple[str, str, str, str], bool] = {}  # (context, source, question, claim)
        rows = store.db.execute("SELECT id, article_id, text FROM sentences").fetchall()
        self._sentences = [(row["id"], row["article_id"], metrics.normalise_text(row["text"])) for row in rows]
        self._record_ids = _export_record_locators(Path(corpus)) if corpus else {}

    @property
    def judged_by(self) -> str:
        """Who decided citation_precision_judge (citation_precision_gold is decided by the gold evidence alone)."""
        if self.llm is None:
            return "gold-evidence-match only (no LLM)"
        return (
            f"gold-evidence-match + llm-judge:{self.llm.model} (prompts/eval_judge.txt, P(yes) >= "
            f"{EVAL_JUDGE_THRESHOLD}); the same model wrote the pipeline's answers, so this figure is not "
            "independent evidence: citation_precision_gold is"
        )

    # --- evidence ----------------------------------------------------------------------------------------------

    def resolve_doc(self, doc: str) -> str | None:
        """The indexed article a gold `doc` (article id, path, file name, export record id) ends up in."""
        if not doc:
            return None
        row = self.store.article(doc) or self.store.find_article(doc)
        if row is None and doc in self._record_ids:
            row = self.store.find_article(self._record_ids[doc])
        if row is None:
            name = Path(doc).name
            found = self.store.db.execute(
                "SELECT id FROM articles WHERE locator LIKE ? OR path LIKE ? "
                "UNION SELECT article_id FROM duplicates WHERE locator LIKE ? OR path LIKE ?",
                (f"%/{name}",) * 4,
            ).fetchone()
            return found[0] if found else None
        return row["id"]

    def gold_sentences(self, question: EvalQuestion) -> set[str]:
        texts = [e.text for e in question.evidence]
        gold = {sid for sid, _, text in self._sentences if text and metrics.evidence_matches(text, texts)}
        for item in question.evidence:
            article_id = self.resolve_doc(item.doc)
            if article_id is None:
                continue
            wanted = metrics.normalise_text(item.text)
            for sid, owner, text in self._sentences:
                similar = owner == article_id and sid not in gold
                if similar and difflib.SequenceMatcher(None, text, wanted).ratio() >= FUZZY_SENTENCE_RATIO:
                    gold.add(sid)
        return gold

    # --- scoring -----------------------------------------------------------------------------------------------

    def gold_articles(self, question: EvalQuestion, gold: set[str]) -> set[str]:
        """Articles holding the question's gold evidence (found by sentence, or named by `doc`)."""
        found = {owner for sid, owner, _ in self._sentences if sid in gold}
        found |= {article for e in question.evidence if (article := self.resolve_doc(e.doc))}
        return found

    def score(self, question: EvalQuestion, answer: Answer) -> dict[str, Any]:
        evidence = [e.text for e in question.evidence]
        gold = self.gold_sentences(question) if question.answerable else set()
        gold_articles = self.gold_articles(question, gold) if question.answerable else set()
        hits = [metrics.evidence_matches(p.text, evidence) or bool(gold & set(p.sentence_ids)) for p in answer.passages]
        rank = metrics.first_hit_rank(hits, 10) if question.answerable else None
        scores = metrics.answer_scores(answer.statement, answer.abstained, question.answers, answer.text)

        citations: list[dict[str, Any]] = []
        claims_out: list[dict[str, Any]] = []
        if not answer.abstained:
            by_number = {c.number: c for c in answer.citations}
            is_gold = {
                c.number: question.answerable
                and (
                    (bool(c.sentence_id) and c.sentence_id in gold)
                    or metrics.evidence_matches(c.text, evidence)
                    or (c.article_id in gold_articles and metrics.states_part_of_answer(c.text, question.answers))
                )
                for c in answer.citations
            }
            claims = split_claims(answer.text)
            supported_any: dict[int, bool] = {}
            verdicts_per_claim: list[list[bool]] = []
            for claim in claims:
                verdicts = []
                for number in claim.cited:
                    if number not in by_number:
                        continue
                    cited = by_number[number]
                    context = self.previous_sentence(cited.sentence_id)
                    ok = is_gold[number] or self.judge(cited.text, question.question, claim.text, context)
                    supported_any[number] = supported_any.get(number, False) or ok
                    verdicts.append(ok)
                verdicts_per_claim.append(verdicts)
                claims_out.append({"text": claim.text, "cited": claim.cited, "covered": any(verdicts)})
            whole = " ".join(claim.text for claim in claims) or answer.text
            for citation in answer.citations:
                number = citation.number
                if number not in supported_any:  # cited nowhere in the text: judge against the whole answer
                    context = self.previous_sentence(citation.sentence_id)
                    judged = is_gold[number] or self.judge(citation.text, question.question, whole, context)
                    supported_any[number] = judged
                citations.append(
                    {
                        "number": number,
                        "article_id": citation.article_id,
                        "sentence_id": citation.sentence_id,
                        "text": citation.text,
                        "gold_supported": is_gold[number],
                        "supported": supported_any[number],
                    }
                )
            covered = metrics.citation_recall_ok(verdicts_per_claim)
        else:
            covered = False

        return {
            "id": question.id,
            "type": question.type,
            "question": question.question,
            "answers": plain_answers(question.answers),
            "answerable": question.answerable,
            "answer_text": answer.text,
            "mode": answer.mode,
            "abstained": answer.abstained,
            **scores,
            "first_hit_rank": rank,
            "gold_sentence_ids": sorted(gold),
            "passage_hits": hits[:10],
            "citations": citations,
            "claims": claims_out,
            "claims_covered": covered,
            "timings": answer.timings,
            "answer": answer.to_dict(),
        }

    def judge(self, source: str, question: str, claim: str, context: str = "") -> bool:
        """Whether the source text states the claim, by the eval's own judge (False without an LLM).
        `context` is the sentence before the source in its article."""
        if self.llm is None:
            return False
        key = (context, source, question, claim)
        if key not in self._cache:
            self.judge_calls += 1
            text = prompt("eval_judge", context=context or "(start of the article)", sentence=source, claim=claim)
            try:
                self._cache[key] = self.llm.probability_yes(text) >= EVAL_JUDGE_THRESHOLD
            except LLMUnavailable:
                self.judge_failures += 1
                self._cache[key] = False
        return self._cache[key]

    def previous_sentence(self, sentence_id: str) -> str:
        """The sentence before a cited sentence in its article ("" for the first one; "(none)" for a cited
        passage that is not a sentence, as in the llama-index baseline)."""
        if not sentence_id:
            return "(none)"
        row = self.store.db.execute(
            "SELECT p.text FROM sentences s JOIN sentences p ON p.article_id = s.article_id AND p.idx = s.idx - 1"
            " WHERE s.id = ?",
            (sentence_id,),
        ).fetchone()
        return row[0] if row else ""


def _export_record_locators(corpus: Path) -> dict[str, str]:
    """record id -> the locator `rag ingest` gives that row ("<path>#line<n>" / "#row<n>") for JSONL/CSV exports,
    so gold evidence may name records by their id."""
    import csv

    suffix = corpus.suffix.lower()
    if not corpus.is_file() or suffix not in (".jsonl", ".csv"):
        return {}
    path = corpus.resolve()
    found: dict[str, str] = {}
    try:
        text = path.read_text(encoding="utf-8-sig", errors="replace")
        if suffix == ".jsonl":
            for number, line in enumerate(text.splitlines(), start=1):
                try:
                    row = json.loads(line) if line.strip() else None
                except json.JSONDecodeError:
                    continue
                if isinstance(row, dict):
                    for key in ("id", "doc_id", "article_id"):
                        if row.get(key) is not None:
                            found.setdefault(str(row[key]), f"{path}#line{number}")
                            break
        else:
            reader = csv.DictReader(text.splitlines(keepends=True))
            for number, row in enumerate(reader, start=2):
                for key in ("id", "doc_id", "article_id"):
                    if row.get(key):
                        found.setdefault(str(row[key]), f"{path}#row{number}")
                        break
    except OSError:
        return {}
    return found


def _summary(
    results: dict[str, list[list[dict]]],
    questions: list[EvalQuestion],
    settings: Settings,
    assistant: Any,
    scorer: Scorer,
    set_path: str | Path,
    corpus: str | Path | None,
) -> dict[str, Any]:
    def block(runs: list[list[dict]]) -> dict[str, Any]:
        rows = [row for run in runs for row in run]  # repeated runs: every metric is the mean over the runs
        data: dict[str, Any] = dict(metrics.aggregate(rows))
        data["latency"] = metrics.latency(rows)
        types = list(dict.fromkeys(q.type for q in questions))
        data["per_type"] = {kind: metrics.aggregate([r for r in rows if r["type"] == kind]) for kind in types}
        data["errors"] = sum(1 for r in rows if r.get("error"))
        data["extractive_answers"] = sum(1 for r in rows if r.get("mode") == "extractive")
        if len(runs) > 1:
            data["repeat"] = metrics.spread(runs)
        return data

    headline = PIPELINE if PIPELINE in results else next(iter(results))
    summary = block(results[headline])
    summary["system"] = headline
    summary["support_judged_by"] = scorer.judged_by
    summary["judge_calls"] = scorer.judge_calls
    summary["judge_failures"] = scorer.judge_failures
    summary["config"] = {
        "eval_set": str(Path(set_path).resolve()),
        "corpus": str(Path(corpus).resolve()) if corpus else None,
        "index_dir": str(settings.index_dir),
        "retrieval_mode": settings.retrieval_mode,
        "top_k": settings.top_k,
        "prompt_sentences": settings.prompt_sentences,
        "min_confidence": settings.min_confidence,
        "structured_output": settings.llm_structured_output,
        "repeat": len(results[headline]),
        "embed": f"{settings.embed_backend}:{settings.embed_model}",
        "llm": assistant.model_description,
        "llm_configured": assistant.llm is not None,  # False: every answer is extractive by design, not by failure
        "git_commit": _git_commit(),
        "python": platform.python_version(),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    if len(results) > 1:
        summary["baselines"] = {name: block(rows) for name, rows in results.items() if name != headline}
    return summary


def _git_commit() -> str | None:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            cwd=Path(__file__).resolve().parent,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None
