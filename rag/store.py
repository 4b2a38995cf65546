"""The index on disk: a SQLite catalogue (articles, sentences, chunks, duplicates, removals), the Chroma
collection of chunk vectors, and a persisted BM25 index over the same chunks.

The catalogue is the source of truth. Ingest writes vectors first, then commits the catalogue in one
transaction, then deletes superseded vectors and swaps in a new BM25 folder; a crash at any point leaves
the previous catalogue, and readers only trust vectors whose chunk ids the catalogue lists.
"""

from __future__ import annotations

import fcntl
import json
import secrets
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rag.config import Settings

SCHEMA_VERSION = "1"
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, root TEXT NOT NULL, size INTEGER, mtime_ns INTEGER);
CREATE TABLE IF NOT EXISTS skipped (locator TEXT PRIMARY KEY, reason TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY, locator TEXT NOT NULL, path TEXT NOT NULL, root TEXT NOT NULL, fmt TEXT NOT NULL,
    title TEXT NOT NULL, date TEXT, source TEXT, author TEXT, url TEXT,
    text TEXT NOT NULL, original TEXT NOT NULL, pieces TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sentences (
    id TEXT PRIMARY KEY, article_id TEXT NOT NULL, idx INTEGER NOT NULL, text TEXT NOT NULL,
    start INTEGER NOT NULL, end INTEGER NOT NULL, orig_start INTEGER NOT NULL, orig_end INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS sentences_article ON sentences(article_id, idx);
CREATE TABLE IF NOT EXISTS chunks (
    id TEXT PRIMARY KEY, article_id TEXT NOT NULL, idx INTEGER NOT NULL, text TEXT NOT NULL,
    sentence_ids TEXT NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_article ON chunks(article_id);
CREATE TABLE IF NOT EXISTS duplicates (
    article_id TEXT NOT NULL, locator TEXT NOT NULL, path TEXT NOT NULL, copy_id TEXT NOT NULL,
    title TEXT, date TEXT, source TEXT, url TEXT, similarity REAL NOT NULL, kind TEXT NOT NULL,
    PRIMARY KEY (article_id, locator)
);
CREATE TABLE IF NOT EXISTS removed (
    article_id TEXT NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL, text TEXT NOT NULL, reason TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS removed_article ON removed(article_id);
CREATE TABLE IF NOT EXISTS prepare_cache (kind TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL,
    PRIMARY KEY (kind, key));
"""


# Chroma writes its HNSW graph to disk only every `sync_threshold` vectors (default 1000) and re-inserts the rest
# from its log on every open, in another order each time: the same query vector then finds other neighbours in
# another process (chroma-core/chroma#2675; on FA-KES 2 of 64 dev questions retrieved other passages). Persisting
# after every write leaves the whole graph on disk, so every process that opens the index searches the same graph
# (cost: eval/bench_chroma_writes.py, ~1% of an ingest at 25,000 chunks).
VECTOR_INDEX = {"space": "cosine", "sync_threshold": 2, "batch_size": 2}

# The index order of chunks: BM25 is built from `chunk_nodes` in it, so BM25 document i is the i-th chunk.
CHUNK_ORDER = "ORDER BY c.article_id, c.idx"


class IndexUnavailable(Exception):
    """The index cannot be used as asked (built with another embedder, locked, missing)."""


class IndexStore:
    """Opens (and creates) the index named by the settings."""

    def __init__(self, settings: Settings, create: bool = True) -> None:
        self.settings = settings
        if not create and not settings.catalog_path.exists():
            raise IndexUnavailable(f"no index at {settings.index_dir}: run `rag ingest PATH` first")
        settings.index_dir.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(
            settings.catalog_path, timeout=30, check_same_thread=False
        )  # UI threads; callers serialise
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(SCHEMA)
        self._collection: Any = None

    def close(self) -> None:
        self.db.close()

    # --- locking -------------------------------------------------------------------------------------------

    @contextmanager
    def writer_lock(self) -> Iterator[None]:
        """One ingest at a time per index; a second one fails fast with a clear message."""
        handle = (self.settings.index_dir / ".ingest.lock").open("w")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise IndexUnavailable(f"another ingest is running on {self.settings.index_dir}") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Several reads that must see one catalogue (a reader loading its tables while an ingest commits): one
        read transaction, so WAL gives every statement inside the same committed state."""
        if self.db.in_transaction:
            yield
            return
        self.db.execute("BEGIN")
        try:
            yield
        finally:
            self.db.execute("COMMIT")

    # --- meta ----------------------------------------------------------------------------------------------

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row["value"] if row else default

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    @property
    def generation(self) -> int:
        return int(self.get_meta("generation", "0") or 0)

    def roots(self) -> list[str]:
        return json.loads(self.get_meta("roots", "[]") or "[]")

    def save_roots(self, roots: list[str]) -> None:
        """Committed at once, outside any catalogue transaction (an ingest records its roots before reading)."""
        with self.db:
            self.set_meta("roots", json.dumps(roots))

    def sources(self) -> list[tuple[str, int]]:
        """Every root (folder or export ingested, upload batch) with how many articles it holds now."""
        counts = dict(self.db.execute("SELECT root, COUNT(*) FROM articles GROUP BY root").fetchall())
        return [(root, int(counts.get(root, 0))) for root in self.roots()]

    # --- Chroma --------------------------------------------------------------------------------------------

    @property
    def collection_name(self) -> str:
        """The active Chroma collection: the catalogue names it, so a rebuild can fill a new one beside it and switch
        in the same transaction that commits the new catalogue."""
        return self.get_meta("collection") or self.settings.collection

    @property
    def collection(self) -> Any:
        """The Chroma collection: local PersistentClient under index_dir, or a Chroma server when configured."""
        if self._collection is None:
            self._collection = self._open_collection(self.collection_name)
        return self._collection

    def forget_collection(self) -> None:
        """Look the active collection up again on next use (after another process committed a new catalogue)."""
        self._collection = None

    def start_new_collection(self) -> str:
        """A fresh, empty collection beside the active one, which this store writes to from now on (a rebuild:
        the active one stays untouched, and in use, until the new catalogue commits)."""
        name = f"{self.settings.collection}-g{self.generation + 1}-{secrets.token_hex(3)}"
        self._collection = self._open_collection(name)
        return name

    def _open_collection(self, name: str) -> Any:
        """The named collection, created with VECTOR_INDEX; one made before it is switched to it, after which Chroma
        persists the graph it re-inserted from its log (measured on an old FA-KES index: the first process to open
        it wrote the whole graph, and 3 later ones retrieved alike)."""
        collection = self._client().get_or_create_collection(
            name, embedding_function=None, configuration={"hnsw": VECTOR_INDEX}
        )
        hnsw = (getattr(collection, "configuration_json", None) or {}).get("hnsw") or {}
        if hnsw.get("sync_threshold", VECTOR_INDEX["sync_threshold"]) > VECTOR_INDEX["sync_threshold"]:
            collection.modify(configuration={"hnsw": {k: VECTOR_INDEX[k] for k in ("sync_threshold", "batch_size")}})
        return collection

    def drop_other_collections(self) -> list[str]:
        """Delete this index's collections other than the active one: the one a rebuild replaced, or the half
        filled one an interrupted rebuild left."""
        client, active, base = self._client(), self.collection_name, self.settings.collection
        dropped = []
        for item in client.list_collections():
            name = getattr(item, "name", item)
            if name != active and (name == base or name.startswith(base + "-g")):
                client.delete_collection(name)
                dropped.append(name)
        return dropped

    def _client(self) -> Any:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False)
        if self.settings.chroma_host:
            return chromadb.HttpClient(
                host=self.settings.chroma_host, port=self.settings.chroma_port, settings=chroma_settings
            )
        return chromadb.PersistentClient(path=str(self.settings.chroma_path), settings=chroma_settings)

    def vector_store(self) -> Any:
        from llama_index.vector_stores.chroma import ChromaVectorStore

        return ChromaVectorStore(chroma_collection=self.collection)

    def vector_ids(self) -> set[str]:
        """Every chunk id Chroma holds (including orphans an interrupted ingest may have left)."""
        ids: set[str] = set()
        offset = 0
        while True:
            page = self.collection.get(include=[], limit=5000, offset=offset)["ids"]
            ids.update(page)
            if len(page) < 5000:
                return ids
            offset += len(page)

    def delete_vectors(self, ids: set[str]) -> None:
        ordered = sorted(ids)
        for begin in range(0, len(ordered), 5000):
            self.collection.delete(ids=ordered[begin : begin + 5000])

    # --- catalogue reads -----------------------------------------------------------------------------------

    def chunk_ids(self) -> set[str]:
        return {row[0] for row in self.db.execute("SELECT id FROM chunks")}

    def chunk_rows(self, ids: list[str] | None = None) -> list[sqlite3.Row]:
        """Chunks joined with their articles: all of them in index order, or the ones named (any order)."""
        select = (
            "SELECT c.*, a.title, a.date, a.source, a.url, a.path FROM chunks c JOIN articles a ON a.id = c.article_id"
        )
        if ids is None:
            return self.db.execute(f"{select} {CHUNK_ORDER}").fetchall()
        rows: list[sqlite3.Row] = []
        for begin in range(0, len(ids), 500):  # under SQLite's limit on bound parameters
            part = ids[begin : begin + 500]
            rows += self.db.execute(select + f" WHERE c.id IN ({','.join('?' * len(part))})", part).fetchall()
        return rows

    def chunk_filter_columns(self) -> list[sqlite3.Row]:
        """(id, date, source) of every chunk in index order, what retrieval filters on; without the texts."""
        return self.db.execute(
            f"SELECT c.id, a.date, a.source FROM chunks c JOIN articles a ON a.id = c.article_id {CHUNK_ORDER}"
        ).fetchall()

    def chunk_nodes(self) -> list[Any]:
        """Chunk nodes rebuilt from the catalogue (for BM25), without touching the vector store."""
        from rag.ingest.chunks import node_from_row

        return [node_from_row(row) for row in self.chunk_rows()]

    def file_stamps(self) -> dict[str, tuple[int, int]]:
        return {row["path"]: (row["size"], row["mtime_ns"]) for row in self.db.execute("SELECT * FROM files")}

    def article(self, article_id: str) -> sqlite3.Row | None:
        return self.db.execute("SELECT * FROM articles WHERE id = ?", (article_id,)).fetchone()

    def find_article(self, locator: str) -> sqlite3.Row | None:
        """The article loaded from this path or locator, directly or as one of its duplicate copies."""
        resolved = str(Path(locator).resolve()) if "#" not in locator else locator
        row = self.db.execute("SELECT * FROM articles WHERE locator IN (?, ?)", (locator, resolved)).fetchone()
        if row is None:
            copy = self.db.execute(
                "SELECT article_id FROM duplicates WHERE locator IN (?, ?)", (locator, resolved)
            ).fetchone()
            row = self.article(copy[0]) if copy else None
        return row

    def sentences(self, article_id: str) -> list[sqlite3.Row]:
        return self.db.execute("SELECT * FROM sentences WHERE article_id = ? ORDER BY idx", (article_id,)).fetchall()

    def removed(self, article_id: str) -> list[sqlite3.Row]:
        return self.db.execute("SELECT * FROM removed WHERE article_id = ? ORDER BY start", (article_id,)).fetchall()

    def duplicates(self, article_id: str) -> list[sqlite3.Row]:
        return self.db.execute(
            "SELECT * FROM duplicates WHERE article_id = ? ORDER BY locator", (article_id,)
        ).fetchall()

    def stats(self) -> dict[str, Any]:
        def count(sql: str) -> int:
            return int(self.db.execute(sql).fetchone()[0])

        removed_by_reason = dict(self.db.execute("SELECT reason, COUNT(*) FROM removed GROUP BY reason").fetchall())
        skipped = [dict(row) for row in self.db.execute("SELECT * FROM skipped ORDER BY locator")]
        return {
            "index_dir": str(self.settings.index_dir),
            "vector_store": (
                f"chroma server {self.settings.chroma_host}:{self.settings.chroma_port}"
                if self.settings.chroma_host
                else f"chroma {self.settings.chroma_path}"
            ),
            "embedder": self.get_meta("embedder"),
            "roots": self.roots(),
            "files": count("SELECT COUNT(*) FROM files"),
            "articles": count("SELECT COUNT(*) FROM articles"),
            "exact_duplicates": count("SELECT COUNT(*) FROM duplicates WHERE kind = 'exact'"),
            "near_duplicates": count("SELECT COUNT(*) FROM duplicates WHERE kind = 'near'"),
            "sentences": count("SELECT COUNT(*) FROM sentences"),
            "chunks": count("SELECT COUNT(*) FROM chunks"),
            "vectors": self.collection.count(),
            "removed_spans": removed_by_reason,
            "skipped": skipped,
            "generation": self.generation,
            "last_ingest": json.loads(self.get_meta("last_ingest", "{}") or "{}"),
        }

    # --- BM25 ----------------------------------------------------------------------------------------------

    def save_bm25(self, nodes: list[Any]) -> None:
        """Build BM25 over the chunk nodes in a temporary folder and swap it in, stamped with the generation."""
        from llama_index.retrievers.bm25 import BM25Retriever

        target = self.settings.bm25_path
        building = target.with_name(target.name + ".building")
        retired = target.with_name(target.name + ".old")
        shutil.rmtree(building, ignore_errors=True)
        shutil.rmtree(retired, ignore_errors=True)
        building.mkdir(parents=True)
        if nodes:
            BM25Retriever.from_defaults(nodes=nodes, language="en").persist(str(building), show_progress=False)
        (building / "generation").write_text(str(self.generation))
        if target.exists():
            target.rename(retired)
        building.rename(target)
        shutil.rmtree(retired, ignore_errors=True)

    def bm25_is_current(self) -> bool:
        stamp = self.settings.bm25_path / "generation"
        return stamp.is_file() and stamp.read_text().strip() == str(self.generation)
