"""Exact and near-duplicate detection: MinHash LSH (datasketch) finds candidates, exact shingle overlap decides."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass

from datasketch import MinHash, MinHashLSH

from rag.config import Settings
from rag.ingest.clean import Draft, normalise

_WORD = re.compile(r"\w+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_MIN_SHINGLES = 15  # shorter texts are too small to call near-duplicates safely
_LSH_THRESHOLD = 0.3  # generous: candidates are verified exactly, and damaged copies score low on Jaccard


@dataclass
class DuplicateGroup:
    """One story: the canonical draft that gets indexed and the other copies with their similarity to it."""

    canonical: Draft
    copies: list[tuple[Draft, float, str]]


def group_duplicates(
    drafts: list[Draft], settings: Settings, signature: Callable[[str, set[str]], MinHash] | None = None
) -> list[DuplicateGroup]:
    """Cluster drafts into stories; the most complete copy of each story becomes canonical. `signature(text,
    shingles)` gives a text's MinHash (default: computed here; the ingest passes its cache)."""
    texts = [item.kept_text() for item in drafts]
    shingles = [_shingles(text, settings.dedup_shingle_words) for text in texts]
    figures = [set(_NUMBER.findall(text)) for text in texts]

    def overlap(first: int, second: int) -> tuple[float, str | None]:
        return _overlap((shingles[first], shingles[second]), (figures[first], figures[second]), settings)

    parent = list(range(len(drafts)))
    similarity: dict[tuple[int, int], tuple[float, str]] = {}

    def find(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    def union(first: int, second: int, score: float, kind: str) -> None:
        similarity[(first, second)] = similarity[(second, first)] = (score, kind)
        parent[find(first)] = find(second)

    by_text: dict[str, int] = {}
    for index, text in enumerate(texts):
        digest = hashlib.sha256(normalise(text).encode()).hexdigest()
        if digest in by_text:
            union(index, by_text[digest], 1.0, "exact")
        else:
            by_text[digest] = index

    lsh = MinHashLSH(threshold=_LSH_THRESHOLD, num_perm=settings.dedup_num_perm)
    signature = signature or (lambda text, grams: minhash(grams, settings.dedup_num_perm))
    hashes = [signature(text, grams) for text, grams in zip(texts, shingles, strict=True)]
    for index in by_text.values():
        if len(shingles[index]) < _MIN_SHINGLES:
            continue
        for other in lsh.query(hashes[index]):
            score, kind = overlap(index, other)
            if kind:
                union(index, other, score, kind)
        lsh.insert(index, hashes[index])

    members: dict[int, list[int]] = {}
    for index in range(len(drafts)):
        members.setdefault(find(index), []).append(index)
    groups = []
    for indexes in members.values():
        best = max(indexes, key=lambda i: (len(shingles[i]), -len(drafts[i].record.locator), drafts[i].record.locator))
        copies = []
        for index in indexes:
            if index == best:
                continue
            score, kind = similarity.get((index, best)) or overlap(index, best)
            copies.append((drafts[index], round(score, 3), kind or "near"))
        groups.append(DuplicateGroup(drafts[best], copies))
    return groups


def _shingles(text: str, size: int) -> set[str]:
    words = _WORD.findall(text.lower())
    return {" ".join(words[i : i + size]) for i in range(max(len(words) - size + 1, 1))} if words else set()


def minhash(grams: set[str], num_perm: int) -> MinHash:
    minhash = MinHash(num_perm=num_perm)
    minhash.update_batch([gram.encode() for gram in grams])
    return minhash


def _overlap(
    grams: tuple[set[str], set[str]], figures: tuple[set[str], set[str]], settings: Settings
) -> tuple[float, str | None]:
    """(score, "near") when two texts are copies of one story, else (score, None).

    Copies share most shingles (Jaccard), or the shorter is nearly contained in the longer (a truncated or
    damaged copy). Either way every figure in the shorter must appear in the longer: versions of a story
    that report different numbers contradict each other and both stay searchable.
    """
    first_grams, second_grams = grams
    if not first_grams or not second_grams:
        return 0.0, None
    common = len(first_grams & second_grams)
    jaccard = common / len(first_grams | second_grams)
    containment = common / min(len(first_grams), len(second_grams))
    similar = jaccard >= settings.dedup_jaccard or (
        containment >= settings.dedup_containment and min(len(first_grams), len(second_grams)) >= _MIN_SHINGLES
    )
    if not similar:
        return max(jaccard, containment), None
    shorter, longer = figures if len(first_grams) <= len(second_grams) else figures[::-1]
    return (jaccard if jaccard >= settings.dedup_jaccard else containment), ("near" if shorter <= longer else None)
