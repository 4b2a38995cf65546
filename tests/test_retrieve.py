"""Hybrid retrieval (dense Chroma + BM25, reciprocal rank fusion) on real indexes."""

import json
import shutil
from pathlib import Path

import pytest

from rag.config import Settings
from rag.embed import build_embedder
from rag.ingest.pipeline import ingest
from rag.retrieve import Filters, HybridRetriever
from rag.store import IndexStore


def _retriever(settings: Settings) -> HybridRetriever:
    return HybridRetriever(IndexStore(settings, create=False))


def test_answer_passage_ranks_high_and_both_retrievers_contribute(seeds_index: Settings):
    retriever = _retriever(seeds_index)
    hits = retriever.retrieve("How many police officers were killed in the attack on the police station in Zaghinah?")
    # The answer sentence opens the chunk after the one naming Zaghinah: both must come first.
    top_two = " ".join(hit.text for hit in hits[:2])
    assert "Four police officers were killed" in top_two and "police station in the village of Zaghinah" in top_two
    assert all(hit.dense_rank is not None and hit.bm25_rank is not None for hit in hits[:2])
    assert all(hits[i].score >= hits[i + 1].score for i in range(len(hits) - 1))
    assert len({h.chunk_id for h in hits}) == len(hits)


def test_date_and_source_filters(seeds_index: Settings):
    retriever = _retriever(seeds_index)
    recent = retriever.retrieve("ISIS attacks", filters=Filters(date_from="2020-01-01"))
    assert recent and {h.metadata["date"] for h in recent} == {"2020-06-26"}
    early = retriever.retrieve("ISIS attacks", filters=Filters(date_to="2019-12-31"))
    assert early and all(h.metadata["date"].startswith("2019") for h in early)
    sourced = retriever.retrieve("rocket strike", filters=Filters(sources=("Global Research",)))
    assert sourced and {h.metadata["source"] for h in sourced} == {"Global Research"}


def test_vectors_not_in_the_catalogue_are_never_returned(seeds_index: Settings, tmp_path: Path):
    copy = Settings(index_dir=tmp_path / "index")
    shutil.copytree(seeds_index.index_dir, copy.index_dir)
    store = IndexStore(copy, create=False)
    orphan = "Four police officers were killed in Zaghinah, says the orphan."
    vector = build_embedder(copy).get_text_embedding(orphan)
    store.collection.add(
        ids=["orphan"],
        embeddings=[vector],
        documents=[orphan],
        metadatas=[{"article_id": "x", "sentence_ids": "x-1", "date_int": 0}],
    )
    hits = HybridRetriever(store).retrieve("How many police officers were killed in Zaghinah?")
    assert hits and "orphan" not in {h.chunk_id for h in hits}


def test_same_sentences_do_not_fill_two_slots(tmp_path: Path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shared = (
        "Government forces repelled an attack near the town of al-Sukhna late on Tuesday. "
        "The attackers used vehicles equipped with heavy machine guns. "
        "Artillery fire forced the militants to retreat into the desert. "
        "Local sources said the area remained tense on Wednesday morning. "
    )
    (corpus / "a.txt").write_text(shared + "At least 20 soldiers were killed in the clashes.\n")
    (corpus / "b.txt").write_text(shared + "At least 2 soldiers were killed in the clashes.\n")
    (corpus / "c.txt").write_text("Turkish forces shelled Kurdish positions near Afrin on Friday.\n")
    settings = Settings(index_dir=tmp_path / "index")
    assert ingest([corpus], settings, progress=False).articles == 3  # different figures: not merged
    hits = _retriever(settings).retrieve("attack near al-Sukhna repelled", top_k=3)
    sukhna = [h for h in hits if "al-Sukhna" in h.text]
    assert len(sukhna) == 1


def test_a_selective_filter_still_gets_both_retrievers_and_both_search_paths_agree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Filters are applied before ranking, not to a few top hits: the one article of a small source is found by
    BM25 and dense search even when 60 other articles match the query better. The ids-restricted search and the
    oversampled search (used for broad filters) return the same chunks."""
    import rag.retrieve

    export = tmp_path / "export.jsonl"
    rows = [
        {
            "title": f"Rocket strike number {n}",
            "text": f"A rocket strike hit the village of Kafr {n} on day {n}, killing {n + 2} people and wounding "
            f"{n * 3 + 1}; the rocket strike destroyed {n + 4} houses in district {n * 7}.",
            "source": "Big Wire",
            "date": f"2019-03-{1 + n % 28:02d}",
        }
        for n in range(60)
    ]
    rows.append(
        {
            "title": "Market reopens",
            "text": "The market of Saraqib reopened on Sunday, weeks after a rocket struck its main square.",
            "source": "Small Paper",
            "date": "2019-04-02",
        }
    )
    export.write_text("\n".join(json.dumps(row) for row in rows) + "\n", encoding="utf-8")
    settings = Settings(index_dir=tmp_path / "index")
    ingest([export], settings, progress=False)
    retriever = _retriever(settings)
    small = Filters(sources=("Small Paper",))
    hits = retriever.retrieve("rocket strike", top_k=1, filters=small)
    assert [h.metadata["source"] for h in hits] == ["Small Paper"]
    assert hits[0].dense_rank == 1 and hits[0].bm25_rank == 1
    assert retriever.retrieve("rocket strike", filters=Filters(date_from="2019-05-01")) == []

    dated = Filters(date_from="2019-03-10", date_to="2019-03-20")
    by_ids = retriever.retrieve("houses destroyed by a rocket strike", top_k=4, filters=dated)
    monkeypatch.setattr(rag.retrieve, "ID_SEARCH_MAX", 0)  # the broad-filter path: search wider, then filter
    oversampled = retriever.retrieve("houses destroyed by a rocket strike", top_k=4, filters=dated)
    assert [h.chunk_id for h in by_ids] == [h.chunk_id for h in oversampled] and len(by_ids) == 4
    assert all("2019-03-10" <= h.metadata["date"] <= "2019-03-20" for h in by_ids)


def test_a_filtered_search_survives_chunks_the_vector_store_does_not_hold(seeds_index: Settings, tmp_path: Path):
    """A catalogue chunk missing from Chroma (a reader whose embedded Chroma has not seen another process's new
    vectors yet) makes Chroma refuse an id-restricted search; the wider search answers instead."""
    copy = Settings(index_dir=tmp_path / "index")
    shutil.copytree(seeds_index.index_dir, copy.index_dir)
    store = IndexStore(copy, create=False)
    sourced = Filters(sources=("Global Research",))
    missing = store.db.execute(
        "SELECT c.id FROM chunks c JOIN articles a ON a.id = c.article_id WHERE a.source = ? LIMIT 1",
        sourced.sources,
    ).fetchone()[0]
    store.collection.delete(ids=[missing])
    hits = HybridRetriever(store).retrieve("rocket strike", filters=sourced)
    assert hits and {h.metadata["source"] for h in hits} == {"Global Research"}
