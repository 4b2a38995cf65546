"""`rag ingest`: load -> clean -> dedup -> sentences -> chunks -> embed -> store, incrementally and crash-safely."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from llama_index.core.schema import TextNode
from tqdm import tqdm

from rag.config import Settings
from rag.embed import build_embedder, embedder_name
from rag.ingest.cache import PrepareCache
from rag.ingest.chunks import chunk_sentences, to_node
from rag.ingest.clean import Draft, finish, repeated_keys
from rag.ingest.dedup import group_duplicates
from rag.ingest.load import InputError, list_input_files, load_file, stamp
from rag.ingest.sentences import split_article
from rag.schema import CleanedArticle, Duplicate, SkippedRecord, SourceRecord
from rag.store import IndexStore, IndexUnavailable

EMBED_BATCH_ARTICLES = 16
# For the cost shown before embedding: FA-KES, 1,993 chunks in ~110 s on the 2-core machine (eval/bench_ingest.py).
EMBED_CHUNKS_PER_SECOND = 18.0


@dataclass
class IngestReport:
    """What an ingest run did; printed by the CLI and kept in the index as `last_ingest`."""

    roots: list[str] = field(default_factory=list)
    files: int = 0
    records: int = 0
    articles: int = 0
    exact_duplicates: int = 0
    near_duplicates: int = 0
    sentences: int = 0
    chunks: int = 0
    embedded_chunks: int = 0
    reused_chunks: int = 0
    deleted_chunks: int = 0
    retained_articles: int = 0
    removed_articles: int = 0
    skipped: list[SkippedRecord] = field(default_factory=list)
    up_to_date: bool = False
    seconds: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class _Prepared:
    articles: list[CleanedArticle]
    nodes: dict[str, list[TextNode]]
    sentence_count: int


class NothingIngested(Exception):
    """No file or record could be used; the report says why for each one."""

    def __init__(self, report: IngestReport) -> None:
        super().__init__("nothing could be ingested")
        self.report = report


def ingest(
    paths: list[Path],
    settings: Settings,
    prune: bool = False,
    rebuild: bool = False,
    progress: bool = True,
    on_status: Callable[[str], None] = lambda message: None,
    max_new_chunks: int | None = None,
    remove: list[str] | None = None,
) -> IngestReport:
    """Bring the index up to date with the given folders/exports plus every root ingested before. With
    `max_new_chunks`, a run that would embed more new chunks than that stops before embedding anything (and
    leaves the index and its roots as they were). `remove` takes sources (roots) out: their articles, sentences and
    vectors go, and so do their stored uploads; a copy of one of their stories found in another source stays."""
    report = IngestReport()
    started = time.perf_counter()
    stage = Stopwatch(report.seconds)
    store = IndexStore(settings)
    try:
        with store.writer_lock():
            _check_embedder(store, settings, rebuild)
            store.drop_other_collections()  # what an interrupted rebuild left half filled
            explicit = [path.resolve() for path in paths]
            for path in explicit:
                if not path.exists():
                    raise InputError(f"{path} does not exist")
            roots_before = store.roots()
            removing = set(remove or [])
            unknown = removing - set(roots_before)
            if unknown:
                raise InputError(f"not a source of this index: {', '.join(sorted(unknown))} (see `rag sources`)")
            roots = [r for r in dict.fromkeys([*roots_before, *map(str, explicit)]) if r not in removing]
            report.roots = roots
            if roots != roots_before:  # saved before any file is read: a run killed early still knows its roots
                store.save_roots(roots)
            files_by_root: dict[str, list[Path]] = {}
            for root in roots:
                try:
                    files_by_root[root] = list_input_files(Path(root))
                except InputError as error:
                    on_status(f"warning: previously ingested {error}; its articles are kept unless --prune")
            stamps = {str(path): stamp(path) for files in files_by_root.values() for path in files}
            report.files = len(stamps)
            if not (rebuild or prune) and _up_to_date(store, settings, stamps, roots):
                report.up_to_date = True
                report.articles = int(store.db.execute("SELECT COUNT(*) FROM articles").fetchone()[0])
                return report

            records: list[tuple[str, SourceRecord]] = []
            for root, files in files_by_root.items():
                for path in files:
                    for item in load_file(path, settings):
                        if isinstance(item, SkippedRecord):
                            report.skipped.append(item)
                        else:
                            records.append((root, item))
            report.records = len(records)
            stage.lap("load")

            cache = PrepareCache.load(store, settings, fresh=rebuild)
            prepared = _prepare([record for _, record in records], settings, report, cache)
            root_of = {record.locator: root for root, record in records}
            stage.lap("clean_dedup_split")

            retained = _retained_articles(store, prepared, set(stamps), prune or rebuild, removing)
            report.retained_articles = len(retained)
            if not prepared.articles and not retained and not removing:
                store.save_roots(roots_before)  # nothing usable: the roots named by this run are not kept either
                raise NothingIngested(report)

            # A rebuild embeds everything into a new collection beside the active one; the catalogue commit
            # switches to it, so a rebuild killed at any point leaves the previous index whole and in use.
            vectors_before = set() if rebuild else store.vector_ids()
            new_chunks = sum(n.node_id not in vectors_before for nodes in prepared.nodes.values() for n in nodes)
            cost = f"about {_minutes(new_chunks / EMBED_CHUNKS_PER_SECOND)}"
            if max_new_chunks is not None and new_chunks > max_new_chunks:
                store.save_roots(roots_before)
                raise InputError(
                    f"this would embed {new_chunks:,} new chunks, more than the {max_new_chunks:,} allowed at once "
                    f"({cost}); nothing was added"
                )
            if new_chunks:
                on_status(f"embedding {new_chunks:,} new chunks ({cost})")
            collection = store.start_new_collection() if rebuild else None
            _embed_missing(store, settings, prepared, vectors_before, report, progress)
            stage.lap("embed")

            old_ids = {row[0] for row in store.db.execute("SELECT id FROM articles")}
            _commit_catalogue(store, settings, prepared, retained, root_of, stamps, roots, report, collection, cache)
            report.removed_articles = len(old_ids - {a.id for a in prepared.articles} - retained)

            stale = vectors_before - store.chunk_ids()
            store.delete_vectors(stale)
            report.deleted_chunks = len(stale)
            if rebuild:
                store.drop_other_collections()
            uploads = (settings.index_dir / "uploads").resolve()
            for root in removing:  # an upload batch exists only for the index: its stored files go with it
                if Path(root).resolve().is_relative_to(uploads):
                    shutil.rmtree(root, ignore_errors=True)
            store.save_bm25(store.chunk_nodes())
            stage.lap("store")
            report.seconds["total"] = round(time.perf_counter() - started, 3)
            store.set_meta("last_ingest", json.dumps(report.to_dict(), default=str))
            store.db.commit()
            return report
    finally:
        store.close()


def _minutes(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


def _check_embedder(store: IndexStore, settings: Settings, rebuild: bool) -> None:
    current = embedder_name(settings)
    built_with = store.get_meta("embedder")
    if not rebuild and built_with and built_with != current:
        raise IndexUnavailable(
            f"the index at {settings.index_dir} was built with {built_with}, but {current} is configured; "
            "re-run with --rebuild to re-embed everything"
        )


def _up_to_date(store: IndexStore, settings: Settings, stamps: dict, roots: list[str]) -> bool:
    known = store.file_stamps()
    current = {path: (item.size, item.mtime_ns) for path, item in stamps.items()}
    return (
        known == current
        and store.roots() == roots
        and store.get_meta("settings") == settings.ingest_fingerprint()
        and store.bm25_is_current()
    )


def _prepare(records: list[SourceRecord], settings: Settings, report: IngestReport, cache: PrepareCache) -> _Prepared:
    drafts = [cache.draft(record) for record in records]
    groups = group_duplicates(drafts, settings, cache.minhash)
    story_of = {
        item.id: group.canonical.id for group in groups for item in [group.canonical, *(c[0] for c in group.copies)]
    }
    boilerplate = repeated_keys(drafts, story_of, settings.boilerplate_min_articles, settings.boilerplate_min_fraction)
    articles: list[CleanedArticle] = []
    nodes: dict[str, list[TextNode]] = {}
    sentence_count = 0
    seen_ids: set[str] = set()
    for group in groups:
        article = finish(group.canonical, boilerplate)
        if article.id in seen_ids or not article.text.strip():
            if not article.text.strip():
                report.skipped.append(SkippedRecord(article.record.locator, "nothing left after removing boilerplate"))
            continue
        seen_ids.add(article.id)
        article.duplicates = [_duplicate(copy, score, kind) for copy, score, kind in group.copies]
        report.exact_duplicates += sum(kind == "exact" for _, _, kind in group.copies)
        report.near_duplicates += sum(kind == "near" for _, _, kind in group.copies)
        sentences = split_article(article, cache.split_spans)
        chunks = chunk_sentences(sentences, settings.chunk_max_words, settings.chunk_overlap_sentences)
        article.sentences = sentences
        article.chunks = chunks
        nodes[article.id] = [to_node(chunk, article) for chunk in chunks]
        sentence_count += len(sentences)
        articles.append(article)
    report.articles = len(articles)
    report.sentences = sentence_count
    report.chunks = sum(len(items) for items in nodes.values())
    return _Prepared(articles, nodes, sentence_count)


def _duplicate(copy: Draft, score: float, kind: str) -> Duplicate:
    record = copy.record
    return Duplicate(
        locator=record.locator,
        path=record.path,
        article_id=copy.id,
        title=copy.title,
        date=copy.date,
        source=copy.source,
        url=record.url,
        similarity=score,
        kind=kind,
    )


def _retained_articles(
    store: IndexStore, prepared: _Prepared, present_files: set[str], prune: bool, removing: set[str]
) -> set[str]:
    """Articles already indexed whose files vanished: kept unless --prune (or their source is being removed)."""
    if prune:
        return set()
    new_ids = {article.id for article in prepared.articles}
    return {
        row["id"]
        for row in store.db.execute("SELECT id, path, root FROM articles")
        if row["id"] not in new_ids and row["path"] not in present_files and row["root"] not in removing
    }


def _embed_missing(
    store: IndexStore,
    settings: Settings,
    prepared: _Prepared,
    vectors_before: set[str],
    report: IngestReport,
    progress: bool,
) -> None:
    """Embed and add the chunks Chroma lacks; vectors already there (from any earlier run) are reused."""
    pending = [
        (article, [node for node in prepared.nodes[article.id] if node.node_id not in vectors_before])
        for article in prepared.articles
    ]
    pending = [(article, nodes) for article, nodes in pending if nodes]
    report.reused_chunks = report.chunks - sum(len(nodes) for _, nodes in pending)
    if not pending:
        return
    embedder = build_embedder(settings)
    vector_store = store.vector_store()
    started = time.perf_counter()
    sentences_done = 0
    with tqdm(total=len(pending), unit="article", desc="embedding", disable=not progress, dynamic_ncols=True) as bar:
        for begin in range(0, len(pending), EMBED_BATCH_ARTICLES):
            batch = pending[begin : begin + EMBED_BATCH_ARTICLES]
            nodes = [node for _, items in batch for node in items]
            texts = [node.get_content(metadata_mode="embed") for node in nodes]
            for node, vector in zip(nodes, embedder.get_text_embedding_batch(texts), strict=True):
                node.embedding = vector
            vector_store.add(nodes)
            report.embedded_chunks += len(nodes)
            sentences_done += sum(len(article.sentences) for article, _ in batch)
            bar.update(len(batch))
            bar.set_postfix(sentences_per_s=f"{sentences_done / (time.perf_counter() - started):.0f}")


def _commit_catalogue(
    store: IndexStore,
    settings: Settings,
    prepared: _Prepared,
    retained: set[str],
    root_of: dict[str, str],
    stamps: dict,
    roots: list[str],
    report: IngestReport,
    collection: str | None,
    cache: PrepareCache,
) -> None:
    """Replace the catalogue in one transaction: readers see the old index or the new one, never a mix. With
    `collection` (a rebuild), the new catalogue's vectors are in that collection, made the active one here."""
    db = store.db
    with db:
        keep = sorted(retained)
        marks = ",".join("?" * len(keep))
        for table, column in (
            ("articles", "id"),
            ("sentences", "article_id"),
            ("chunks", "article_id"),
            ("duplicates", "article_id"),
            ("removed", "article_id"),
        ):
            db.execute(f"DELETE FROM {table} WHERE {column} NOT IN ({marks})", keep)
        for article in prepared.articles:
            record = article.record
            db.execute(
                "INSERT INTO articles VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    article.id,
                    record.locator,
                    record.path,
                    root_of[record.locator],
                    record.fmt,
                    article.title,
                    article.date,
                    article.source,
                    article.author,
                    article.url,
                    article.text,
                    record.text,
                    json.dumps(article.pieces),
                ),
            )
            db.executemany(
                "INSERT INTO sentences VALUES (?,?,?,?,?,?,?,?)",
                [
                    (s.id, s.article_id, s.index, s.text, s.start, s.end, s.orig_start, s.orig_end)
                    for s in article.sentences
                ],
            )
            db.executemany(
                "INSERT INTO chunks VALUES (?,?,?,?,?,?,?)",
                [
                    (c.id, c.article_id, c.index, c.text, ",".join(c.sentence_ids), c.start, c.end)
                    for c in article.chunks
                ],
            )
            db.executemany(
                "INSERT OR REPLACE INTO duplicates VALUES (?,?,?,?,?,?,?,?,?,?)",
                [
                    (
                        article.id,
                        d.locator,
                        d.path,
                        d.article_id,
                        d.title,
                        d.date,
                        d.source,
                        d.url,
                        d.similarity,
                        d.kind,
                    )
                    for d in article.duplicates
                ],
            )
            db.executemany(
                "INSERT INTO removed VALUES (?,?,?,?,?)",
                [(article.id, r.start, r.end, r.text, r.reason) for r in article.removed],
            )
        db.execute("DELETE FROM files")
        db.executemany(
            "INSERT INTO files VALUES (?,?,?,?)",
            [(path, _root_for(path, roots), item.size, item.mtime_ns) for path, item in stamps.items()],
        )
        db.execute("DELETE FROM skipped")
        db.executemany("INSERT OR REPLACE INTO skipped VALUES (?,?)", [(s.locator, s.reason) for s in report.skipped])
        store.set_meta("generation", str(store.generation + 1))
        store.set_meta("roots", json.dumps(roots))
        if collection is not None:
            store.set_meta("collection", collection)
        cache.save(store)
        store.set_meta("settings", settings.ingest_fingerprint())
        store.set_meta("embedder", embedder_name(settings))


def _root_for(path: str, roots: list[str]) -> str:
    return max((root for root in roots if path == root or path.startswith(root.rstrip("/") + "/")), key=len, default="")


class Stopwatch:
    """Records the seconds since the previous lap under a stage name."""

    def __init__(self, into: dict[str, float]) -> None:
        self.into = into
        self.last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.into[name] = round(now - self.last, 3)
        self.last = now
