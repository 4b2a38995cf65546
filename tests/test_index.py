"""Ingest into a real Chroma + BM25 index with the real MiniLM embedder."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from llama_index.retrievers.bm25 import BM25Retriever

from rag.config import Settings
from rag.embed import build_embedder
from rag.ingest.load import InputError
from rag.ingest.pipeline import NothingIngested, ingest
from rag.store import VECTOR_INDEX, IndexStore, IndexUnavailable


def _store(settings: Settings) -> IndexStore:
    return IndexStore(settings, create=False)


def test_seed_index_contents(seeds_index: Settings):
    store = _store(seeds_index)
    numbers = store.stats()
    assert numbers["articles"] == 4 and numbers["near_duplicates"] == 1 and numbers["files"] == 5
    assert numbers["chunks"] == numbers["vectors"] > 0
    assert numbers["removed_spans"]["boilerplate"] > 20
    assert store.chunk_ids() == store.vector_ids()
    # The damaged copy is attached to the full article with its own date and source.
    (copy,) = store.db.execute("SELECT * FROM duplicates").fetchall()
    canonical = store.article(copy["article_id"])
    assert canonical["path"].endswith("001_de26e5de12a4771e.txt")
    assert copy["path"].endswith("000_52adbdfa8497fdcb.txt") and copy["source"] == "People's Daily Online"
    store.close()


def test_stored_sentence_offsets_slice_the_original_and_chunks_carry_sentence_ids(seeds_index: Settings):
    store = _store(seeds_index)
    for article in store.db.execute("SELECT * FROM articles"):
        sentences = store.sentences(article["id"])
        by_id = {s["id"]: s for s in sentences}
        for sentence in sentences:
            assert article["text"][sentence["start"] : sentence["end"]] == sentence["text"]
        exact = sum(article["original"][s["orig_start"] : s["orig_end"]] == s["text"] for s in sentences)
        assert exact >= len(sentences) - 2
        for chunk in store.db.execute("SELECT * FROM chunks WHERE article_id = ?", (article["id"],)):
            ids = chunk["sentence_ids"].split(",")
            assert all(i in by_id for i in ids)
            assert chunk["text"].startswith(" ".join(by_id[ids[0]]["text"].split()))
    store.close()


def test_dense_search_finds_the_chunk_with_the_answer(seeds_index: Settings):
    store = _store(seeds_index)
    query = build_embedder(seeds_index).get_query_embedding("How many police officers were killed in Zaghinah?")
    hits = store.collection.query(query_embeddings=[query], n_results=3, include=["metadatas", "documents"])
    assert any("Four police officers were killed" in doc for doc in hits["documents"][0])
    assert all(meta["sentence_ids"] and meta["article_id"] for meta in hits["metadatas"][0])
    store.close()


def test_bm25_index_is_persisted_and_current(seeds_index: Settings):
    store = _store(seeds_index)
    assert store.bm25_is_current()
    retriever = BM25Retriever.from_persist_dir(str(seeds_index.bm25_path))
    retriever.similarity_top_k = 2
    hits = retriever.retrieve("Haj Talib al-Khatib assassination attempt")
    assert "Haj Talib al-Khatib" in hits[0].node.get_content()
    assert hits[0].node.metadata["sentence_ids"]
    store.close()


def test_reingest_is_incremental_changed_deleted_and_pruned(seed_copy: Path, tmp_path: Path):
    settings = Settings(index_dir=tmp_path / "index")
    first = ingest([seed_copy], settings, progress=False)
    assert first.embedded_chunks == first.chunks > 0

    again = ingest([seed_copy], settings, progress=False)
    assert again.up_to_date and again.embedded_chunks == 0

    changed = seed_copy / "003_96d08bed1395b8bd.txt"
    changed.write_text(changed.read_text(encoding="utf-8") + "\nA new paragraph reports fresh clashes in Idlib.\n")
    store = IndexStore(settings)
    old_chunks = store.db.execute(
        "SELECT COUNT(*) FROM chunks c JOIN articles a ON a.id=c.article_id WHERE a.path LIKE '%003_%'"
    ).fetchone()[0]
    store.close()
    update = ingest([seed_copy], settings, progress=False)
    assert not update.up_to_date
    assert 0 < update.embedded_chunks <= old_chunks + 1
    assert update.removed_articles == 1 and update.deleted_chunks == old_chunks

    (seed_copy / "004_95a5f299d1f6f661.txt").unlink()
    kept = ingest([seed_copy], settings, progress=False)
    assert kept.retained_articles == 1 and kept.embedded_chunks == 0
    store = IndexStore(settings)
    assert store.stats()["articles"] == 4
    store.close()

    pruned = ingest([], settings, prune=True, progress=False)
    assert pruned.removed_articles == 1 and pruned.deleted_chunks > 0
    store = IndexStore(settings)
    assert store.stats()["articles"] == 3
    assert store.chunk_ids() == store.vector_ids()
    assert store.roots() == [str(seed_copy.resolve())]
    store.close()


def _catalogue(settings: Settings) -> dict[str, list[tuple]]:
    store = IndexStore(settings, create=False)
    tables = {
        "articles": "SELECT id, title, date, source, author, text, pieces FROM articles ORDER BY id",
        "sentences": "SELECT * FROM sentences ORDER BY id",
        "chunks": "SELECT * FROM chunks ORDER BY id",
        "removed": "SELECT * FROM removed ORDER BY article_id, start, end",
        "duplicates": "SELECT article_id, copy_id, similarity, kind FROM duplicates ORDER BY article_id, copy_id",
    }
    rows = {name: [tuple(row) for row in store.db.execute(sql)] for name, sql in tables.items()}
    store.close()
    return rows


def test_reingest_redoes_per_article_work_only_for_what_changed_and_builds_the_same_index(
    seed_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from rag.ingest import clean, dedup, sentences

    calls = {"draft": 0, "split": 0, "minhash": 0}

    def counted(name, function):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return function(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(clean, "draft", counted("draft", clean.draft))
    monkeypatch.setattr(sentences, "split_spans", counted("split", sentences.split_spans))
    monkeypatch.setattr(dedup, "minhash", counted("minhash", dedup.minhash))
    settings = Settings(index_dir=tmp_path / "index")
    ingest([seed_copy], settings, progress=False)
    assert calls == {"draft": 5, "split": 4, "minhash": 5}  # 5 files, 4 articles after the near-duplicate

    changed = seed_copy / "003_96d08bed1395b8bd.txt"
    changed.write_text(changed.read_text(encoding="utf-8") + "\nA new paragraph reports fresh clashes in Idlib.\n")
    calls.update(dict.fromkeys(calls, 0))
    ingest([seed_copy], settings, progress=False)
    assert calls == {"draft": 1, "split": 1, "minhash": 1}
    store = IndexStore(settings)
    kept = store.db.execute("SELECT kind, COUNT(*) FROM prepare_cache GROUP BY kind ORDER BY kind").fetchall()
    store.close()
    assert [tuple(row) for row in kept] == [("draft", 5), ("minhash", 5), ("spans", 4)]  # the old ones went
    fresh = Settings(index_dir=tmp_path / "fresh")
    ingest([seed_copy], fresh, progress=False)
    assert _catalogue(settings) == _catalogue(fresh)

    # Results made by other code (or settings) are not used: everything is done again.
    store = IndexStore(settings)
    store.set_meta("prepare_cache_version", "made by another version")
    store.db.commit()
    store.close()
    changed.write_text(changed.read_text(encoding="utf-8") + "\nAnother line.\n")
    calls.update(dict.fromkeys(calls, 0))
    ingest([seed_copy], settings, progress=False)
    assert calls == {"draft": 5, "split": 4, "minhash": 5}


def test_only_bad_files_means_nothing_ingested(tmp_path: Path):
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "empty.txt").write_text("")
    (folder / "binary.txt").write_bytes(b"\x00\x01\x02")
    with pytest.raises(NothingIngested) as raised:
        ingest([folder], Settings(index_dir=tmp_path / "index"), progress=False)
    assert {Path(s.locator).name for s in raised.value.report.skipped} == {"empty.txt", "binary.txt"}


def test_bad_files_beside_good_ones_are_reported_in_stats(seed_copy: Path, tmp_path: Path):
    (seed_copy / "broken.txt").write_bytes(b"\xff\xfe\xfa not text" + b"\x00" * 10)
    (seed_copy / "empty.md").write_text("")
    settings = Settings(index_dir=tmp_path / "index")
    report = ingest([seed_copy], settings, progress=False)
    assert report.articles == 4
    store = IndexStore(settings)
    skipped = {Path(item["locator"]).name: item["reason"] for item in store.stats()["skipped"]}
    assert set(skipped) == {"broken.txt", "empty.md"}
    store.close()


def test_other_embedder_needs_rebuild(seeds_index: Settings, tmp_path: Path):
    index_copy = tmp_path / "index"
    shutil.copytree(seeds_index.index_dir, index_copy)
    other = Settings(index_dir=index_copy, embed_backend="openai", embed_model="text-embedding-3-small")
    with pytest.raises(IndexUnavailable, match="--rebuild"):
        ingest([], other, progress=False)


def test_rebuild_re_embeds_everything(seeds_index: Settings, tmp_path: Path):
    index_copy = tmp_path / "index"
    shutil.copytree(seeds_index.index_dir, index_copy)
    settings = Settings(index_dir=index_copy)
    before = IndexStore(settings)
    old_collection = before.collection_name
    before.close()
    report = ingest([], settings, rebuild=True, progress=False)
    assert report.articles == 4 and report.embedded_chunks == report.chunks and report.reused_chunks == 0
    store = IndexStore(settings)
    assert store.chunk_ids() == store.vector_ids()
    # built beside the old collection, switched to at the commit, the old one then dropped
    assert store.collection_name != old_collection
    assert [c.name for c in store._client().list_collections()] == [store.collection_name]
    store.close()


def test_a_batch_over_the_embedding_budget_adds_nothing_and_says_what_it_would_cost(seed_copy: Path, tmp_path: Path):
    settings = Settings(index_dir=tmp_path / "index")
    with pytest.raises(InputError, match=r"would embed \d+ new chunks, more than the 3 allowed at once"):
        ingest([seed_copy], settings, progress=False, max_new_chunks=3)
    store = IndexStore(settings)
    assert store.roots() == [] and store.stats()["articles"] == 0
    store.close()
    said: list[str] = []
    report = ingest([seed_copy], settings, progress=False, on_status=said.append, max_new_chunks=1000)
    assert any(f"embedding {report.embedded_chunks:,} new chunks (about" in message for message in said)


NEAREST_CHUNKS = """
import json, sys
import numpy as np
from rag.config import Settings
from rag.store import IndexStore
found = IndexStore(Settings(index_dir=sys.argv[1]), create=False).collection.query(
    query_embeddings=np.load(sys.argv[2]).tolist(), n_results=40, include=[]
)
print(json.dumps(found["ids"]))
"""


def _clustered_vectors(count: int, seed: int) -> np.ndarray:
    """Unit vectors in 64 tight clusters, like news chunks: many near neighbours, so a graph built another way
    finds other ones."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((64, 384))
    vectors = centres[rng.integers(0, 64, count)] + 0.6 * rng.standard_normal((count, 384))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


@pytest.mark.parametrize("made_before", [False, True], ids=["new", "made-with-chroma-defaults"])
def test_two_processes_find_the_same_nearest_chunks_in_an_index_of_over_a_thousand(tmp_path: Path, made_before: bool):
    """Chroma's default kept up to 1,000 vectors out of the persisted graph and re-inserted them on every open in
    another order, so two processes found other nearest chunks for the same vector (12 of 176 FA-KES questions
    retrieved other passages). Written as an ingest writes (batches of a few dozen, one deletion), read in two
    fresh processes; a collection made with Chroma's defaults (before VECTOR_INDEX) is switched on its first open."""
    settings = Settings(index_dir=tmp_path / "index")
    store = IndexStore(settings)
    if made_before:
        collection = store._client().get_or_create_collection(
            store.collection_name, embedding_function=None, metadata={"hnsw:space": "cosine"}
        )
        assert collection.configuration_json["hnsw"]["sync_threshold"] > VECTOR_INDEX["sync_threshold"]
    else:
        collection = store.collection
    vectors = _clustered_vectors(1600, seed=0)
    for begin in range(0, len(vectors), 40):
        ids = [f"chunk-{i}" for i in range(begin, begin + 40)]
        collection.add(ids=ids, embeddings=vectors[begin : begin + 40].tolist())
    collection.delete(ids=[f"chunk-{i}" for i in range(100, 110)])
    store.close()
    queries = tmp_path / "queries.npy"
    np.save(queries, _clustered_vectors(40, seed=1))
    runs = [
        subprocess.run(
            [sys.executable, "-c", NEAREST_CHUNKS, str(settings.index_dir), str(queries)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for _ in range(2)
    ]
    found = json.loads(runs[0])
    assert len(found) == 40 and all(len(ids) == 40 for ids in found)
    assert runs[0] == runs[1]
    reopened = IndexStore(settings)
    hnsw = reopened.collection.configuration_json["hnsw"]
    reopened.close()
    assert hnsw["space"] == "cosine" and hnsw["sync_threshold"] == VECTOR_INDEX["sync_threshold"]
