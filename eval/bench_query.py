"""Query benchmark: p50/p95 seconds per answering stage, ours vs a plain llama-index query engine, plus
retrieval latency on synthetic 10k/100k-chunk copies of the FA-KES index.

    python eval/bench_query.py [--questions 5] [--skip-fakes] [--scales 10000,100000] [--no-llm]
                               [--llm-api-base URL] [--fakes-index DIR] [--json PATH]

Per corpus (seeds, FA-KES) the corpus is ingested into a temporary index (or --seeds-index/--fakes-index is
used as is), then each question goes through `Assistant.stream` (stages rewrite, retrieve, rank, generate,
check; plus `first_progress` and `answer_shown`: seconds until the first progress message and until the checked
answer text reach the reader), and then, in a second pass, through
`VectorStoreIndex.from_vector_store(...).as_query_engine()` over the same Chroma collection with the same embedder
and the same LLM server (`.query()` for its total, and its retriever alone for retrieval). Not interleaved: the
plain engine's prompts would evict our fixed instructions from the server's prompt cache before every question.

Scale: a temporary copy of the FA-KES index gets synthetic copies of its chunks (catalogue rows with new ids,
vectors = the original embedding plus small Gaussian noise, re-normalised; nothing re-embedded) up to each
size; BM25 is rebuilt, and `HybridRetriever.retrieve` and a plain dense llama-index retriever are timed on
the same queries. Copies repeat the original text, so BM25 postings grow like a real corpus's would in
length but not in vocabulary.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "eval" / "corpora" / "seeds"
FAKES = ROOT / "eval" / "corpora" / "fakes.jsonl"
SEED_QUESTIONS = ROOT / "eval" / "sets" / "seeds-dev.jsonl"
FAKES_QUESTIONS = ROOT / "eval" / "sets" / "fakes-dev.jsonl"
OURS_STAGES = ("first_progress", "answer_shown", "rewrite", "retrieve", "rank", "generate", "check", "total")
PLAIN_STAGES = ("retrieve", "total")
NOISE_SIGMA = 0.01  # per dimension: a copy keeps cosine ~0.98 with its original, so copies crowd real neighbours
ADD_BATCH = 5000  # Chroma rejects much larger add() batches


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def percentiles(values: Sequence[float]) -> dict[str, float | int | None]:
    if not values:
        return {"p50": None, "p95": None, "n": 0}
    p50, p95 = np.percentile(np.asarray(values, dtype=float), [50, 95])
    return {"p50": float(p50), "p95": float(p95), "n": len(values)}


def memory_mb() -> dict[str, float]:
    """Current and peak resident memory of this process (Linux /proc), to see what 100k chunks cost."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    return {"rss_mb": fields.get("VmRSS", 0.0), "peak_mb": fields.get("VmHWM", 0.0)}


# --- questions -----------------------------------------------------------------------------------------------


def seed_questions(limit: int) -> list[str]:
    rows = [json.loads(line) for line in SEED_QUESTIONS.read_text().splitlines() if line.strip()]
    return [row["question"] for row in rows[:limit]]


def _fakes_rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _spread(rows: list[dict[str, Any]], count: int) -> list[dict[str, Any]]:
    """`count` rows evenly spaced through the export: deterministic, and not all about one month."""
    step = max(1, len(rows) // max(count, 1))
    return rows[::step][:count]


def fakes_questions(limit: int) -> list[str]:
    """`limit` questions evenly spaced through the FA-KES dev set (all question types, answerable or not)."""
    rows = [json.loads(line) for line in FAKES_QUESTIONS.read_text().splitlines() if line.strip()]
    return [row["question"] for row in _spread(rows, limit)]


def title_queries(path: Path, limit: int) -> list[str]:
    """Article titles as retrieval queries for the scale test (no LLM involved, so many are affordable)."""
    return [row["title"] for row in _spread([r for r in _fakes_rows(path) if r.get("title")], limit)]


# --- indexes -------------------------------------------------------------------------------------------------


def build_index(corpus: Path, index_dir: Path) -> float:
    from rag.config import Settings
    from rag.ingest.pipeline import ingest

    log(f"ingesting {corpus} into {index_dir}")
    started = time.perf_counter()
    ingest([corpus], Settings(index_dir=index_dir), progress=False)
    seconds = time.perf_counter() - started
    log(f"ingested {corpus.name} in {seconds:.1f} s")
    return seconds


def plain_engine(store: Any, embedder: Any, llm: Any, top_k: int) -> tuple[Any, Any]:
    """The baseline over the same Chroma collection: llama-index's default retriever and query engine."""
    from llama_index.core import Settings as LlamaSettings
    from llama_index.core import VectorStoreIndex

    LlamaSettings.embed_model = embedder
    if llm is not None:  # without one nothing here asks for an LLM (and None would print a MockLLM notice)
        LlamaSettings.llm = llm
    index = VectorStoreIndex.from_vector_store(store.vector_store(), embed_model=embedder)
    retriever = index.as_retriever(similarity_top_k=top_k)
    engine = index.as_query_engine(llm=llm, similarity_top_k=top_k) if llm is not None else None
    return retriever, engine


def plain_llm(endpoint: str, model: str, max_tokens: int, context: int, api_key: str) -> Any:
    from llama_index.llms.openai_like import OpenAILike

    return OpenAILike(
        model=model,
        api_base=endpoint,
        api_key=api_key,
        is_chat_model=True,
        timeout=120,
        temperature=0.0,
        max_tokens=max_tokens,
        context_window=context,
    )


# --- per-corpus stage timings ---------------------------------------------------------------------------------


def bench_corpus(name: str, index_dir: Path, questions: list[str], client: Any, base_settings: Any) -> dict[str, Any]:
    from rag.answer import Progress
    from rag.assistant import Assistant

    settings = base_settings.model_copy(update={"index_dir": index_dir})
    assistant = Assistant(settings, llm=client, llm_error=None if client else "switched off by --no-llm")
    llm = (
        plain_llm(client.endpoint, client.model, settings.llm_max_tokens, settings.llm_context, client.api_key)
        if client
        else None
    )
    retriever, engine = plain_engine(assistant.store, assistant.retriever.embedder, llm, settings.top_k)
    chunks = len(assistant.store.chunk_ids())
    # Warm-up (not timed): first-call costs such as ONNX session start-up and Chroma segment loading, and the fixed
    # instructions put in the server's prompt cache, as `Assistant.open` does at start (the UI starts it then waits
    # for the first question; the seconds are printed: what a question asked at the very start would wait more).
    assistant.retriever.retrieve(questions[0], settings.top_k)
    retriever.retrieve(questions[0])
    started = time.perf_counter()
    if client:
        assistant.stage.warm_up(client)
    warm_up = time.perf_counter() - started
    log(f"{name}: prompt-cache warm-up {warm_up:.2f} s")

    ours: dict[str, list[float]] = {stage: [] for stage in OURS_STAGES}
    plain: dict[str, list[float]] = {stage: [] for stage in PLAIN_STAGES}
    modes: dict[str, int] = {}
    # Ours for every question, then the plain engine for every question: its prompts would otherwise evict our fixed
    # instructions from the server's prompt cache before each of our questions (a cost no user of ours pays).
    for number, question in enumerate(questions, start=1):
        started = time.perf_counter()
        seen: dict[str, float] = {}
        for event in assistant.stream(question):
            kind = "progress" if isinstance(event, Progress) else "answer_shown" if isinstance(event, str) else None
            if kind:
                seen.setdefault(kind, time.perf_counter() - started)
        answer = event
        for stage, seconds in answer.timings.items():
            ours.setdefault(stage, []).append(seconds)
        ours["first_progress"].append(seen["progress"])
        if "answer_shown" in seen:  # refusals show no model text at all
            ours["answer_shown"].append(seen["answer_shown"])
        modes[answer.mode] = modes.get(answer.mode, 0) + 1
        log(f"{name} q{number}/{len(questions)}: ours {answer.timings['total']:.2f} s ({answer.mode})")
    for number, question in enumerate(questions, start=1):
        started = time.perf_counter()
        retriever.retrieve(question)
        plain["retrieve"].append(time.perf_counter() - started)
        if engine is not None:
            started = time.perf_counter()
            engine.query(question)
            plain["total"].append(time.perf_counter() - started)
        else:
            plain["total"].append(plain["retrieve"][-1])
        log(f"{name} q{number}/{len(questions)}: plain {plain['total'][-1]:.2f} s")
    assistant.store.close()
    return {
        "chunks": chunks,
        "warm_up_seconds": round(warm_up, 3),
        "questions": questions,
        "answer_modes": modes,
        "ours": {stage: percentiles(values) for stage, values in ours.items()},
        "plain": {stage: percentiles(values) for stage, values in plain.items()},
    }


# --- scale ---------------------------------------------------------------------------------------------------


def _grow(store: Any, target: int, originals: dict[str, Any], made: int, rng: np.random.Generator) -> int:
    """Add synthetic chunk copies until the catalogue holds `target` chunks; returns how many copies exist now."""
    ids = sorted(originals)
    have = len(store.chunk_ids())
    batch_rows: list[tuple[Any, ...]] = []
    batch_ids: list[str] = []
    batch_vectors: list[np.ndarray] = []
    batch_meta: list[dict[str, Any]] = []
    batch_docs: list[str] = []

    def flush() -> None:
        if not batch_ids:
            return
        store.collection.add(
            ids=batch_ids, embeddings=np.stack(batch_vectors), metadatas=batch_meta, documents=batch_docs
        )
        store.db.executemany(
            "INSERT INTO chunks (id, article_id, idx, text, sentence_ids, start, end) VALUES (?, ?, ?, ?, ?, ?, ?)",
            batch_rows,
        )
        for items in (batch_rows, batch_ids, batch_vectors, batch_meta, batch_docs):
            items.clear()

    while have < target:
        made += 1
        for chunk_id in ids:
            if have >= target:
                break
            vector, metadata, document, row = originals[chunk_id]
            new_id = f"{chunk_id}~syn{made}"
            noisy = vector + rng.normal(0.0, NOISE_SIGMA, vector.shape).astype(np.float32)
            batch_vectors.append(noisy / np.linalg.norm(noisy))
            content = json.loads(metadata["_node_content"])
            content["id_"] = new_id  # llama-index takes the node id from here, not from Chroma's id
            batch_meta.append({**metadata, "_node_content": json.dumps(content)})
            batch_ids.append(new_id)
            batch_docs.append(document)
            batch_rows.append((new_id, *row))
            have += 1
            if len(batch_ids) >= ADD_BATCH:
                flush()
    flush()
    store.set_meta("generation", str(store.generation + 1))
    store.db.commit()
    return made


def _originals(store: Any) -> dict[str, Any]:
    """(embedding, Chroma metadata, document, catalogue row without id) of every catalogue chunk."""
    rows = {
        row[0]: tuple(row[1:])
        for row in store.db.execute("SELECT id, article_id, idx, text, sentence_ids, start, end FROM chunks")
    }
    ids = sorted(rows)
    found: dict[str, Any] = {}
    for begin in range(0, len(ids), ADD_BATCH):
        page = store.collection.get(
            ids=ids[begin : begin + ADD_BATCH], include=["embeddings", "metadatas", "documents"]
        )
        for chunk_id, vector, metadata, document in zip(
            page["ids"], page["embeddings"], page["metadatas"], page["documents"], strict=True
        ):
            found[chunk_id] = (np.asarray(vector, dtype=np.float32), metadata, document, rows[chunk_id])
    return found


def _time_queries(function: Callable[[str], Any], queries: list[str]) -> list[float]:
    function(queries[0])  # warm-up: first query after (re)opening loads segments
    values = []
    for query in queries:
        started = time.perf_counter()
        function(query)
        values.append(time.perf_counter() - started)
    return values


def _scale_filters(store: Any) -> tuple[Any, Any]:
    """Filters as the UI sets them: a date range holding the middle half of the articles, and the one source
    with the most articles (copies keep their original's date and source, so the shares hold at every size)."""
    from rag.retrieve import Filters

    dates = [row[0] for row in store.db.execute("SELECT date FROM articles WHERE date != '' ORDER BY date")]
    busiest = store.db.execute("SELECT source FROM articles GROUP BY source ORDER BY COUNT(*) DESC").fetchone()[0]
    half = Filters(date_from=dates[len(dates) // 4][:10], date_to=dates[3 * len(dates) // 4][:10])
    log(f"scale filters: dates {half.date_from}..{half.date_to}; source {busiest}")
    return half, Filters(sources=(busiest,))


def bench_scale(
    index_dir: Path, scales: list[int], queries: list[str], base_settings: Any, workdir: Path
) -> list[dict[str, Any]]:
    from rag.embed import build_embedder
    from rag.retrieve import HybridRetriever
    from rag.store import IndexStore

    copy_dir = workdir / "scale-index"
    shutil.copytree(index_dir, copy_dir, ignore=shutil.ignore_patterns(".ingest.lock"))
    settings = base_settings.model_copy(update={"index_dir": copy_dir})
    store = IndexStore(settings, create=False)
    top_k = settings.top_k
    embedder = build_embedder(settings)
    originals = _originals(store)
    half, source = _scale_filters(store)
    rng = np.random.default_rng(0)
    made = 0
    results = []
    for target in [len(originals), *scales]:
        vectors_s = bm25_s = 0.0
        if target > len(store.chunk_ids()):
            log(f"scale: growing to {target} chunks")
            started = time.perf_counter()
            made = _grow(store, target, originals, made, rng)
            vectors_s = time.perf_counter() - started
            started = time.perf_counter()
            store.save_bm25(store.chunk_nodes())
            bm25_s = time.perf_counter() - started
            log(f"scale: {target} chunks: rows+vectors {vectors_s:.1f} s, BM25 {bm25_s:.1f} s")
        started = time.perf_counter()
        hybrid = HybridRetriever(store)
        open_s = time.perf_counter() - started
        ours = _time_queries(lambda q, retriever=hybrid: retriever.retrieve(q, top_k), queries)
        filtered = _time_queries(lambda q, retriever=hybrid: retriever.retrieve(q, top_k, half), queries)
        one_source = _time_queries(lambda q, retriever=hybrid: retriever.retrieve(q, top_k, source), queries)
        dense, _ = plain_engine(store, embedder, None, top_k)
        plain = _time_queries(dense.retrieve, queries)
        row = {
            "chunks": len(store.chunk_ids()),
            "vectors": store.collection.count(),
            "add_s": vectors_s,
            "bm25_s": bm25_s,
            "open_s": open_s,
            "ours_retrieve": percentiles(ours),
            "ours_retrieve_date_filter": percentiles(filtered),
            "ours_retrieve_source_filter": percentiles(one_source),
            "plain_retrieve": percentiles(plain),
            "disk_mb": sum(f.stat().st_size for f in copy_dir.rglob("*") if f.is_file()) / 1e6,
            **memory_mb(),
        }
        log(f"scale: {row['chunks']} chunks: ours p50 {row['ours_retrieve']['p50']:.3f} s")
        results.append(row)
        del hybrid
    store.close()
    return results


# --- output --------------------------------------------------------------------------------------------------


def _cell(stats: dict[str, Any] | None, key: str) -> str:
    value = stats.get(key) if stats else None
    return f"{value:8.3f}" if value is not None else f"{'-':>8}"


def print_corpus(name: str, result: dict[str, Any]) -> None:
    modes = ", ".join(f"{count} {mode}" for mode, count in sorted(result["answer_modes"].items()))
    print(
        f"\n{name}: {result['chunks']} chunks, {len(result['questions'])} questions ({modes}); seconds "
        f"(prompt-cache warm-up before the first: {result['warm_up_seconds']:.1f} s)"
    )
    print(f"{'pipeline':<18} {'stage':<9} {'p50':>8} {'p95':>8}")
    for pipeline, key, stages in (("ours", "ours", OURS_STAGES), ("plain-llamaindex", "plain", PLAIN_STAGES)):
        for stage in stages:
            stats = result[key].get(stage)
            print(f"{pipeline:<18} {stage:<9} {_cell(stats, 'p50')} {_cell(stats, 'p95')}")


def print_scale(rows: list[dict[str, Any]], queries: int) -> None:
    print(f"\nretrieval at scale (FA-KES + synthetic copies), {queries} queries; latency in ms, build in s")
    print("ours = hybrid (dense + BM25 + fusion); +date / +source = with a date-range / one-source filter")
    header = f"{'chunks':>7} {'add s':>7} {'bm25 s':>7} {'open s':>7} {'ours p50':>9} {'ours p95':>9} "
    header += f"{'+date p50':>10} {'+date p95':>10} {'+src p50':>9} {'+src p95':>9} "
    print(header + f"{'plain p50':>10} {'plain p95':>10} {'disk MB':>8} {'RSS MB':>7} {'peak MB':>8}")
    for row in rows:
        ours, plain = row["ours_retrieve"], row["plain_retrieve"]
        dated, sourced = row["ours_retrieve_date_filter"], row["ours_retrieve_source_filter"]
        print(
            f"{row['chunks']:>7} {row['add_s']:>7.1f} {row['bm25_s']:>7.1f} {row['open_s']:>7.1f} "
            f"{ours['p50'] * 1000:>9.1f} {ours['p95'] * 1000:>9.1f} {dated['p50'] * 1000:>10.1f} "
            f"{dated['p95'] * 1000:>10.1f} {sourced['p50'] * 1000:>9.1f} {sourced['p95'] * 1000:>9.1f} "
            f"{plain['p50'] * 1000:>10.1f} {plain['p95'] * 1000:>10.1f} {row['disk_mb']:>8.0f} {row['rss_mb']:>7.0f} "
            f"{row['peak_mb']:>8.0f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=int, default=5, help="LLM questions per corpus (default 5)")
    parser.add_argument("--retrieval-queries", type=int, default=20, help="queries per scale (default 20)")
    parser.add_argument("--skip-fakes", action="store_true", help="seed corpus only (no FA-KES, no scale test)")
    parser.add_argument("--scales", default="10000,100000", help="chunk counts for the scale test ('' = none)")
    parser.add_argument("--no-llm", action="store_true", help="retrieval and ranking only (extractive answers)")
    parser.add_argument("--llm-api-base", help="reuse a running OpenAI-compatible server instead of starting one")
    parser.add_argument("--seeds", type=Path, default=SEEDS, help="seed corpus folder")
    parser.add_argument("--fakes", type=Path, default=FAKES, help="FA-KES export (JSONL)")
    parser.add_argument("--seeds-index", type=Path, help="an existing index of --seeds (skips its ingest)")
    parser.add_argument("--fakes-index", type=Path, help="an existing index of --fakes (skips its ~100 s ingest)")
    parser.add_argument("--json", type=Path, help="also write every number to this file")
    args = parser.parse_args()
    scales = [int(value) for value in args.scales.split(",") if value.strip()]

    from rag.config import Settings
    from rag.llm import LLMClient

    base = Settings(llm_api_base=args.llm_api_base, llm_enabled=not args.no_llm)
    results: dict[str, Any] = {"settings": {"top_k": base.top_k, "questions": args.questions}, "corpora": {}}
    client = None
    with tempfile.TemporaryDirectory(prefix="bench-query-") as folder:
        workdir = Path(folder)
        indexes = {"seeds": args.seeds_index, "fakes": None if args.skip_fakes else args.fakes_index}
        corpora = {"seeds": args.seeds} | ({} if args.skip_fakes else {"fakes": args.fakes})
        for name, corpus in corpora.items():
            if indexes[name] is None:
                indexes[name] = workdir / name
                results["corpora"].setdefault(name, {})["ingest_s"] = build_index(corpus, workdir / name)
        if not args.no_llm:
            log("starting/connecting the LLM")
            client = LLMClient(base)
            log(f"LLM: {client.description}")
        try:
            questions = {"seeds": seed_questions(args.questions)}
            if "fakes" in corpora:
                questions["fakes"] = fakes_questions(args.questions)
            for name in corpora:
                log(f"{name}: {len(questions[name])} questions")
                result = bench_corpus(name, indexes[name], questions[name], client, base)  # type: ignore[arg-type]
                results["corpora"].setdefault(name, {}).update(result)
        finally:
            if client is not None:
                client.close()
        if "fakes" in corpora and scales:
            queries = title_queries(args.fakes, args.retrieval_queries)
            results["scale"] = bench_scale(indexes["fakes"], scales, queries, base, workdir)  # type: ignore[arg-type]

    for name, result in results["corpora"].items():
        print_corpus(f"{name} ({corpora[name]})", result)
    if results.get("scale"):
        print_scale(results["scale"], args.retrieval_queries)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
