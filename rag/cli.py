"""The `rag` command line: ingest, stats, show, ask, ui, eval."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer

from rag.config import load_settings

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)

ConfigOption = Annotated[Path | None, typer.Option("--config", "-c", help="TOML config file (default ./rag.toml)")]
IndexOption = Annotated[Path | None, typer.Option("--index", help="index folder (default ./index or RAG_INDEX_DIR)")]


@app.command()
def ingest(
    paths: Annotated[list[Path] | None, typer.Argument(help="folders or .jsonl/.csv exports; none = re-ingest")] = None,
    prune: Annotated[bool, typer.Option(help="drop articles whose files were deleted")] = False,
    rebuild: Annotated[
        bool, typer.Option(help="re-embed everything into a new collection; the old index serves until it is done")
    ] = False,
    column: Annotated[
        list[str] | None, typer.Option(help="export column mapping FIELD=COLUMN, e.g. --column text=body")
    ] = None,
    progress: Annotated[bool, typer.Option(help="show a progress bar")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
    config: ConfigOption = None,
    index: IndexOption = None,
) -> None:
    """Load, clean, de-duplicate, split and embed articles into the index (only what changed)."""
    from rag.ingest.load import InputError
    from rag.ingest.pipeline import NothingIngested
    from rag.ingest.pipeline import ingest as run_ingest
    from rag.store import IndexUnavailable

    settings = load_settings(config, index_dir=index)
    if column:
        mapping = settings.columns.model_copy()
        for item in column:
            field_name, _, column_name = item.partition("=")
            if field_name not in type(mapping).model_fields or not column_name:
                raise typer.BadParameter(f"--column {item}: expected FIELD=COLUMN with FIELD in text,title,date,...")
            setattr(mapping, field_name, [column_name])
        settings = settings.model_copy(update={"columns": mapping})
    try:
        report = run_ingest(paths or [], settings, prune=prune, rebuild=rebuild, progress=progress, on_status=_err)
    except (InputError, IndexUnavailable) as error:
        _err(f"error: {error}")
        raise typer.Exit(2) from None
    except NothingIngested as error:
        _print_report(error.report, as_json)
        _err("error: nothing could be ingested (see the skipped list above)")
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        _err("interrupted: the previous index is unchanged; vectors already computed are reused next run")
        raise typer.Exit(130) from None
    _print_report(report, as_json)


@app.command()
def sources(
    config: ConfigOption = None,
    index: IndexOption = None,
) -> None:
    """The index's sources (folders, exports, upload batches) and how many articles each holds."""
    from rag.store import IndexStore, IndexUnavailable

    try:
        store = IndexStore(load_settings(config, index_dir=index), create=False)
    except IndexUnavailable as error:
        _err(f"error: {error}")
        raise typer.Exit(2) from None
    try:
        for root, articles in store.sources():
            print(f"{articles:7d}  {root}")
    finally:
        store.close()


@app.command()
def remove(
    sources: Annotated[list[str], typer.Argument(help="sources to take out, as `rag sources` lists them")],
    config: ConfigOption = None,
    index: IndexOption = None,
) -> None:
    """Take sources out of the index: their articles, sentences and vectors (and stored uploads) are deleted."""
    from rag.ingest.load import InputError
    from rag.ingest.pipeline import ingest as run_ingest
    from rag.store import IndexUnavailable

    settings = load_settings(config, index_dir=index)
    if not settings.catalog_path.exists():
        _err(f"error: no index at {settings.index_dir}")
        raise typer.Exit(2)
    try:
        report = run_ingest([], settings, remove=sources, progress=False, on_status=_err)
    except (InputError, IndexUnavailable) as error:
        _err(f"error: {error}")
        raise typer.Exit(2) from None
    print(f"removed {report.removed_articles} article(s); {report.articles} remain")


@app.command()
def stats(
    config: ConfigOption = None,
    index: IndexOption = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Counts of files, articles, duplicates, sentences, chunks, removals and skipped files in the index."""
    from rag.store import IndexStore, IndexUnavailable

    settings = load_settings(config, index_dir=index)
    try:
        store = IndexStore(settings, create=False)
    except IndexUnavailable as error:
        _err(f"error: {error}")
        raise typer.Exit(2) from None
    try:
        numbers = store.stats()
    finally:
        store.close()
    if as_json:
        typer.echo(json.dumps(numbers, indent=2))
        return
    numbers.pop("last_ingest")
    for key, value in numbers.items():
        if key == "skipped":
            typer.echo(f"skipped: {len(value)}")
            for item in value:
                typer.echo(f"  - {item['locator']}: {item['reason']}")
        elif key == "removed_spans":
            typer.echo("removed spans: " + ", ".join(f"{reason} {count}" for reason, count in sorted(value.items())))
        else:
            typer.echo(f"{key.replace('_', ' ')}: {value}")


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="the question, in quotes")],
    as_json: Annotated[bool, typer.Option("--json", help="print the whole answer object as JSON")] = False,
    date_from: Annotated[str | None, typer.Option("--from", help="only articles from this date (YYYY-MM-DD)")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="only articles up to this date (YYYY-MM-DD)")] = None,
    source: Annotated[list[str] | None, typer.Option(help="only articles from this source (repeatable)")] = None,
    top_k: Annotated[int | None, typer.Option(help="passages to retrieve")] = None,
    llm: Annotated[bool, typer.Option(help="use the LLM (--no-llm answers extractively)")] = True,
    config: ConfigOption = None,
    index: IndexOption = None,
) -> None:
    """Answer a question from the indexed articles, with numbered citations of the source sentences."""
    from rag.assistant import Assistant
    from rag.retrieve import Filters
    from rag.store import IndexUnavailable

    settings = load_settings(config, index_dir=index)
    if not llm:
        settings = settings.model_copy(update={"llm_enabled": False})
    try:
        filters = Filters(date_from=date_from, date_to=date_to, sources=tuple(source or ()))
        assistant = Assistant.open(settings=settings)
    except (ValueError, IndexUnavailable) as error:
        _err(f"error: {error}")
        raise typer.Exit(2) from None
    try:
        answer = assistant.ask(question, filters=filters, top_k=top_k)
    except ValueError as error:
        _err(f"error: {error}")
        raise typer.Exit(2) from None
    finally:
        assistant.close()
    if as_json:
        typer.echo(answer.to_json())
        return
    if answer.disagreement:
        typer.echo(f"Sources disagree. {answer.disagreement}\n")
    typer.echo(answer.text)
    if answer.notice:
        typer.echo(f"\n({answer.mode}: {answer.notice})")
    for cite in answer.citations:
        where = ", ".join(part for part in (cite.source, cite.date) if part)
        typer.echo(f"\n[{cite.number}] {cite.title}" + (f" ({where})" if where else ""))
        typer.echo(f'    "{cite.text}"')
        typer.echo(
            f"    article {cite.article_id}, sentence {cite.sentence_index + 1}, characters {cite.start}-{cite.end} "
            f"(original {cite.orig_start}-{cite.orig_end}), support {cite.support:.2f}; {cite.locator}"
        )
    if not answer.citations and answer.passages:
        typer.echo("\nClosest passages:")
        for passage in answer.passages[:3]:
            typer.echo(f"  - {passage.title}: {passage.text[:200]}...")


@app.command()
def show(
    article: Annotated[str, typer.Argument(help="article id, or a path/locator it was loaded from")],
    removed: Annotated[bool, typer.Option(help="also list what cleaning removed")] = True,
    config: ConfigOption = None,
    index: IndexOption = None,
) -> None:
    """Print one article as indexed: metadata, other copies, cleaned text and the removed spans."""
    from rag.store import IndexStore, IndexUnavailable

    settings = load_settings(config, index_dir=index)
    try:
        store = IndexStore(settings, create=False)
    except IndexUnavailable as error:
        _err(f"error: {error}")
        raise typer.Exit(2) from None
    try:
        row = store.article(article) or store.find_article(article)
        if row is None:
            _err(f"error: no article {article!r} in the index")
            raise typer.Exit(1)
        typer.echo(f"{row['title']}\n  id {row['id']} | date {row['date'] or '?'} | source {row['source'] or '?'}")
        typer.echo(f"  from {row['locator']}")
        for copy in store.duplicates(row["id"]):
            typer.echo(f"  also: {copy['source'] or '?'} {copy['date'] or ''} {copy['locator']} ({copy['kind']})")
        typer.echo("\n" + row["text"] + "\n")
        if removed:
            for span in store.removed(row["id"]):
                typer.echo(f"  [removed {span['reason']} @{span['start']}-{span['end']}] {span['text'][:120]!r}")
    finally:
        store.close()


@app.command("eval")
def eval_command(
    eval_set: Annotated[Path | None, typer.Argument(help="eval set (JSONL, see eval/README.md)")] = None,
    corpus: Annotated[
        Path | None, typer.Option(help="folder or JSONL/CSV export to answer from (ingested if needed)")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="report folder (default eval/reports/SET-TIMESTAMP)")] = None,
    baseline: Annotated[
        bool, typer.Option("--baseline", help="also run BM25-only, dense-only and llama-index CitationQueryEngine")
    ] = False,
    only: Annotated[
        str | None,
        typer.Option(help="only these systems, comma-separated: pipeline, bm25-only, dense-only, llamaindex-citation"),
    ] = None,
    limit: Annotated[int | None, typer.Option(help="only the first N questions")] = None,
    repeat: Annotated[
        int, typer.Option(min=1, help="answer every question N times; report the mean and spread over the runs")
    ] = 1,
    compare: Annotated[
        tuple[Path, Path] | None, typer.Option(help="print the difference between two report folders A B")
    ] = None,
    progress: Annotated[bool, typer.Option(help="show progress bars")] = True,
    config: ConfigOption = None,
    index: Annotated[
        Path | None,
        typer.Option("--index", help="index folder (default: a dedicated one per corpus under eval/reports)"),
    ] = None,
) -> None:
    """Evaluate answers, citations and retrieval against an eval set with known answers; writes a report folder."""
    from rag.evaluation.dataset import EvalSetError
    from rag.evaluation.report import compare as compare_runs
    from rag.evaluation.runner import EvalAborted, check_systems, default_index_dir, run_eval
    from rag.ingest.load import InputError
    from rag.ingest.pipeline import NothingIngested
    from rag.store import IndexUnavailable

    if compare:
        try:
            typer.echo(compare_runs(*compare))
        except (FileNotFoundError, ValueError) as error:
            _err(f"error: {error}")
            raise typer.Exit(2) from None
        return
    if eval_set is None:
        raise typer.BadParameter("give an eval set (SET.jsonl), or --compare A B")
    if index is None and corpus is not None:
        index = default_index_dir(corpus)
    settings = load_settings(config, index_dir=index)
    try:
        systems = check_systems([name.strip() for name in only.split(",") if name.strip()]) if only else None
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None
    try:
        summary = run_eval(
            eval_set,
            corpus,
            settings,
            out,
            baselines=baseline,
            progress=progress,
            limit=limit,
            on_status=_err,
            repeat=repeat,
            only=systems,
        )
    except (EvalSetError, InputError, IndexUnavailable, FileNotFoundError) as error:
        _err(f"error: {error}")
        raise typer.Exit(2) from None
    except NothingIngested:
        _err(f"error: nothing could be ingested from {corpus}")
        raise typer.Exit(1) from None
    except EvalAborted as error:
        _err(f"error: {error}")
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        _err("interrupted: per-question results written so far are in the report folder")
        raise typer.Exit(130) from None
    _print_eval_summary(summary)


def _print_eval_summary(summary: dict) -> None:
    """The headline metrics (false answers first), overall per system, then per question type per system."""
    from rag.evaluation.metrics import HEADLINE_KEYS
    from rag.evaluation.report import systems as report_systems

    keys = (*HEADLINE_KEYS, "citation_recall", "mrr")
    systems = report_systems(summary)

    def line(label: str, data: dict) -> str:
        values = "".join(f"{'-' if data.get(k) is None else format(data[k], '.3f'):>20}" for k in keys)
        return f"{label:<34}{data.get('n', ''):>4}{values}"

    typer.echo(f"{'system / type':<34}{'n':>4}" + "".join(f"{key[:19]:>20}" for key in keys))
    for name, data in systems.items():
        typer.echo(line(name, data))
        for kind, per_type in data.get("per_type", {}).items():
            typer.echo(line(f"  {kind}", per_type))
        if data.get("repeat"):
            spread = data["repeat"]
            typer.echo(
                f"  over {spread['runs']} runs: accuracy {_span(spread['accuracy'])}, false-answer rate "
                f"{_span(spread['false_answer_rate'])}, answer text changed for "
                f"{format(spread['answer_changed_share'] or 0, '.0%')} of questions"
            )
    typer.echo(f"citation_precision_gold: gold evidence only; citation_precision_judge: {summary['support_judged_by']}")
    if summary["config"]["llm_configured"]:
        for name, data in systems.items():
            if data.get("extractive_answers"):
                typer.echo(f"warning: {name}: {data['extractive_answers']} answers came without the LLM (extractive)")


def _span(values: dict) -> str:
    if values.get("mean") is None:
        return "-"
    return f"{values['mean']:.3f} [{values['min']:.3f}, {values['max']:.3f}]"


SAMPLE_CORPUS = Path(__file__).resolve().parents[1] / "eval" / "corpora" / "seeds"


@app.command()
def ui(
    corpus: Annotated[
        Path | None, typer.Option(help="folder or export to build the index from when there is none yet")
    ] = SAMPLE_CORPUS,
    host: Annotated[str | None, typer.Option(help="address (default 127.0.0.1; another needs ui_auth)")] = None,
    port: Annotated[int | None, typer.Option(help="port (default 7860)")] = None,
    insecure: Annotated[
        bool, typer.Option("--insecure", help="serve on a non-loopback --host without a login (not recommended)")
    ] = False,
    config: ConfigOption = None,
    index: IndexOption = None,
) -> None:
    """Chat with the articles in the browser: streamed answers, clickable citations, filters, adding articles."""
    from rag.ingest.load import InputError
    from rag.ingest.pipeline import NothingIngested
    from rag.store import IndexUnavailable
    from ui.app import launch

    settings = load_settings(config, index_dir=index, ui_host=host, ui_port=port, ui_insecure=insecure or None)
    try:
        launch(settings, corpus)
    except (InputError, IndexUnavailable, NothingIngested, ValueError, OSError) as error:
        _err(f"error: {error}")
        raise typer.Exit(2) from None


def _print_report(report: object, as_json: bool) -> None:
    data = report.to_dict()  # type: ignore[attr-defined]
    if as_json:
        typer.echo(json.dumps(data, indent=2, default=str))
        return
    if data["up_to_date"]:
        typer.echo(f"index is up to date: {data['files']} files unchanged, {data['articles']} articles")
        return
    typer.echo(
        f"{data['records']} records from {data['files']} files -> {data['articles']} articles "
        f"({data['exact_duplicates']} exact and {data['near_duplicates']} near duplicates merged), "
        f"{data['sentences']} sentences, {data['chunks']} chunks"
    )
    typer.echo(
        f"embedded {data['embedded_chunks']} chunks, reused {data['reused_chunks']}, "
        f"deleted {data['deleted_chunks']} stale; {data['removed_articles']} articles removed, "
        f"{data['retained_articles']} kept from missing files"
    )
    typer.echo("seconds: " + ", ".join(f"{key} {value}" for key, value in data["seconds"].items()))
    if data["skipped"]:
        typer.echo(f"skipped {len(data['skipped'])}:")
        for item in data["skipped"]:
            typer.echo(f"  - {item['locator']}: {item['reason']}")


def _err(message: str) -> None:
    typer.echo(message, err=True)


if __name__ == "__main__":
    app()
