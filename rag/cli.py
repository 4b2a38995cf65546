"""The `rag` command line: ingest, stats, show (ask, ui and eval arrive with the answering, UI and eval work)."""

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
    rebuild: Annotated[bool, typer.Option(help="clear the index and re-embed everything")] = False,
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
