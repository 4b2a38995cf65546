"""Results of the previous ingest's per-article work, reused for records and texts that did not change.

A re-ingest must look at every article again (boilerplate and duplicates are decided corpus-wide), but most of
what that costs is a pure function of one record or one text: the per-article cleaning rules (`clean.draft`),
punkt sentence splitting and MinHash signatures. Their results are kept in the catalogue keyed by a hash of
their input, under a version made of the code and settings that produce them, so an edit to the cleaning
rules or the splitter, a library upgrade or another shingle size starts from nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import TypeVar

import numpy as np
from datasketch import MinHash

from rag.config import Settings
from rag.ingest import clean, dates, dedup, sentences
from rag.ingest.clean import Draft, Unit
from rag.schema import Removal, SourceRecord
from rag.store import IndexStore

_DRAFT = "draft"
_SPANS = "spans"
_MINHASH = "minhash"
T = TypeVar("T")


def cache_version(settings: Settings) -> str:
    """Changes whenever a cached result could: the splitting and hashing code, their libraries, their settings."""
    parts = [Path(module.__file__).read_bytes() for module in (clean, dates, sentences, dedup)]
    parts += [f"nltk {version('nltk')} datasketch {version('datasketch')}".encode()]
    parts += [f"{settings.dedup_shingle_words} {settings.dedup_num_perm}".encode()]
    return hashlib.sha256(b"\0".join(parts)).hexdigest()[:16]


class PrepareCache:
    """Drafts by record, sentence spans and MinHash signatures by text; `save` keeps only what this run used."""

    def __init__(self, stored: dict[tuple[str, str], bytes], version: str, num_perm: int, current: bool) -> None:
        self._stored = stored  # empty unless `current`
        self._current = current  # the table holds this version's entries (else whatever is there is dropped)
        self._used: dict[tuple[str, str], bytes] = {}
        self.version = version
        self._template = MinHash(num_perm=num_perm)

    @classmethod
    def load(cls, store: IndexStore, settings: Settings, fresh: bool = False) -> PrepareCache:
        """The cache the last ingest saved, or an empty one if asked (`fresh`) or made by other code or settings."""
        version = cache_version(settings)
        current = store.get_meta("prepare_cache_version") == version and not fresh
        stored: dict[tuple[str, str], bytes] = {}
        if current:
            stored = {(kind, key): value for kind, key, value in store.db.execute("SELECT * FROM prepare_cache")}
        return cls(stored, version, settings.dedup_num_perm, current)

    def draft(self, record: SourceRecord) -> Draft:
        """`clean.draft(record)`, from the cache when a record with the same fields was drafted before."""
        fields = json.dumps([record.text, record.fmt, record.title, record.date, record.source, record.author])

        def encode(item: Draft) -> bytes:
            return json.dumps(
                {
                    "units": [[unit.start, unit.end, unit.reason] for unit in item.units],
                    "inline": [[removal.start, removal.end, removal.reason] for removal in item.inline],
                    "meta": [item.title, item.date, item.source, item.author],
                }
            ).encode()

        def decode(raw: bytes) -> Draft:
            stored, text = json.loads(raw), record.text
            title, date, source, author = stored["meta"]
            return Draft(
                id=clean.article_id(text),
                record=record,
                units=[Unit(start, end, text[start:end], reason) for start, end, reason in stored["units"]],
                inline=[Removal(start, end, text[start:end], reason) for start, end, reason in stored["inline"]],
                title=title,
                date=date,
                source=source,
                author=author,
            )

        return self._cached(_DRAFT, fields, lambda: clean.draft(record), encode, decode)

    def split_spans(self, text: str) -> list[tuple[int, int]]:
        """`sentences.split_spans(text)`, from the cache when this text was split before."""
        return self._cached(
            _SPANS,
            text,
            lambda: sentences.split_spans(text),
            lambda spans: np.asarray(spans, dtype=np.int64).reshape(-1, 2).tobytes(),
            lambda raw: [(int(start), int(end)) for start, end in np.frombuffer(raw, dtype=np.int64).reshape(-1, 2)],
        )

    def minhash(self, text: str, grams: set[str]) -> MinHash:
        """`dedup.minhash(grams)` for the shingles of `text`, from the cache when this text was hashed before."""
        template = self._template
        return self._cached(
            _MINHASH,
            text,
            lambda: dedup.minhash(grams, template.num_perm),
            lambda signature: signature.hashvalues.tobytes(),
            lambda raw: MinHash(
                hashvalues=np.frombuffer(raw, dtype=template.hashvalues.dtype),
                scheme=template.scheme,
                permutations=template.permutations,
            ),
        )

    def save(self, store: IndexStore) -> None:
        """Make the stored cache this run's entries (inside the caller's transaction): entries no longer used go,
        new ones are added; the rest of the table is not rewritten."""
        if self._current:
            store.db.executemany(
                "DELETE FROM prepare_cache WHERE kind = ? AND key = ?", self._stored.keys() - self._used.keys()
            )
        else:
            store.db.execute("DELETE FROM prepare_cache")
        store.db.executemany(
            "INSERT INTO prepare_cache VALUES (?,?,?)",
            [(kind, key, raw) for (kind, key), raw in self._used.items() if (kind, key) not in self._stored],
        )
        store.set_meta("prepare_cache_version", self.version)

    def _cached(
        self,
        kind: str,
        source: str,
        compute: Callable[[], T],
        encode: Callable[[T], bytes],
        decode: Callable[[bytes], T],
    ) -> T:
        """The result for `source` (what it is computed from) as the cache holds it, else computed and kept."""
        key = (kind, _digest(source))
        raw = self._used.get(key)
        if raw is None:
            raw = self._stored.get(key)
        if raw is None:
            value = compute()
            self._used[key] = encode(value)
            return value
        self._used[key] = raw
        return decode(raw)


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
