"""Ingest benchmark: this project's pipeline vs a plain llama-index VectorStoreIndex.from_documents, same embedder.

    python eval/bench_ingest.py [--corpus PATH ...]

Each case runs in a fresh subprocess (so peak RSS is its own) into a fresh temporary index, and prints
articles/s, sentences/s, peak memory and index size side by side. Then `ours` re-ingests after 1% of the articles
changed (a sentence appended to each, in a copy of the corpus ingested first): the re-ingest's seconds against
the full ingest's, by phase.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CORPORA = Path(__file__).resolve().parent / "corpora"
DEFAULT_CORPORA = [CORPORA / "seeds", CORPORA / "fakes.jsonl"]
CASES = ("ours", "plain-llamaindex", "plain-li-256tok", "ours-1%-changed")


def run_ours(corpus: Path, index_dir: Path) -> dict:
    from rag.config import Settings
    from rag.ingest.pipeline import ingest

    report = ingest([corpus], Settings(index_dir=index_dir), progress=False)
    return {"articles_in": report.records, "sentences": report.sentences, "chunks": report.chunks}


def run_plain_llamaindex(corpus: Path, index_dir: Path, chunk_size: int | None = None) -> dict:
    """The baseline: documents straight into VectorStoreIndex (SentenceSplitter) on Chroma.

    With the default 1024-token chunks, MiniLM sees only the first 256 tokens of each chunk: the rest of
    the text is never embedded. chunk_size=256 is the same pipeline doing the same amount of work as ours.
    """
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from llama_index.core import Document, StorageContext, VectorStoreIndex
    from llama_index.core import Settings as LlamaSettings
    from llama_index.vector_stores.chroma import ChromaVectorStore

    from rag.config import Settings
    from rag.embed import build_embedder
    from rag.ingest.load import load_path
    from rag.ingest.sentences import split_spans
    from rag.schema import SourceRecord

    settings = Settings()
    records = [item for item in load_path(corpus, settings) if isinstance(item, SourceRecord)]
    documents = [Document(text=record.text, metadata={"path": record.path}) for record in records]
    LlamaSettings.embed_model = build_embedder(settings)
    LlamaSettings.llm = None
    if chunk_size:
        LlamaSettings.chunk_size = chunk_size
        LlamaSettings.chunk_overlap = 0
    client = chromadb.PersistentClient(
        path=str(index_dir / "chroma"), settings=ChromaSettings(anonymized_telemetry=False)
    )
    collection = client.get_or_create_collection("plain", embedding_function=None)
    storage = StorageContext.from_defaults(vector_store=ChromaVectorStore(chroma_collection=collection))
    VectorStoreIndex.from_documents(documents, storage_context=storage)
    sentences = sum(len(split_spans(record.text)) for record in records)
    return {"articles_in": len(records), "sentences": sentences, "chunks": collection.count()}


def run_incremental(corpus: Path, index_dir: Path, share: float = 0.01) -> dict:
    """A full ingest of a copy of `corpus`, then a re-ingest after `share` of its articles changed."""
    from rag.config import Settings
    from rag.ingest.pipeline import ingest

    copy = index_dir.parent / "corpus" / corpus.name
    copy.parent.mkdir(parents=True)
    if corpus.is_dir():
        shutil.copytree(corpus, copy)
    else:
        shutil.copy2(corpus, copy)
    settings = Settings(index_dir=index_dir)
    started = time.perf_counter()
    full = ingest([copy], settings, progress=False)
    full_s = time.perf_counter() - started
    rng = random.Random(0)
    addition = " Officials said on Monday that the figures would be reviewed again next week."
    if copy.is_dir():
        files = sorted(path for path in copy.rglob("*") if path.is_file())
        for path in rng.sample(files, max(1, round(share * len(files)))):
            path.write_text(path.read_text(encoding="utf-8") + addition, encoding="utf-8")
    else:  # a JSONL export: the changed records get the sentence at the end of their text
        lines = copy.read_text(encoding="utf-8").splitlines()
        for number in rng.sample(range(len(lines)), max(1, round(share * len(lines)))):
            row = json.loads(lines[number])
            key = next(name for name in settings.columns.text if name in row)  # the column the loader reads
            row[key] += addition
            lines[number] = json.dumps(row, ensure_ascii=False)
        copy.write_text("\n".join(lines) + "\n", encoding="utf-8")
    started = time.perf_counter()
    again = ingest([copy], settings, progress=False)
    again_s = time.perf_counter() - started
    return {
        "articles_in": again.records,
        "sentences": again.sentences,
        "chunks": again.chunks,
        "full_seconds": full_s,
        "reingest_seconds": again_s,
        "embedded_again": again.embedded_chunks,
        "full_phases": full.seconds,
        "reingest_phases": again.seconds,
    }


def _child(case: str, corpus: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        index_dir = Path(folder) / "index"
        started = time.perf_counter()
        runners = {
            "ours": run_ours,
            "plain-llamaindex": run_plain_llamaindex,
            "plain-li-256tok": lambda path, folder: run_plain_llamaindex(path, folder, chunk_size=256),
            "ours-1%-changed": run_incremental,
        }
        result = runners[case](Path(corpus), index_dir)
        result["seconds"] = time.perf_counter() - started
        result["index_mb"] = sum(p.stat().st_size for p in index_dir.rglob("*") if p.is_file()) / 1e6
        result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print("RESULT " + json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", action="append", type=Path, help="folder or export (repeatable)")
    parser.add_argument(
        "--cases", default=",".join(CASES), help="comma-separated subset of " + ",".join(CASES).replace("%", "%%")
    )
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return
    rows = []
    for corpus in args.corpus or DEFAULT_CORPORA:
        for case in args.cases.split(","):
            output = subprocess.run(
                [sys.executable, __file__, "--child", case, str(corpus)], capture_output=True, text=True, check=True
            ).stdout
            result = json.loads(next(line for line in output.splitlines() if line.startswith("RESULT "))[7:])
            rows.append((corpus.name, case, result))
            print(f"done {corpus.name} {case}", file=sys.stderr)
    header = f"{'corpus':<14} {'pipeline':<17} {'articles':>8} {'chunks':>7} {'seconds':>8} {'articles/s':>10} "
    header += f"{'sentences/s':>11} {'peak MB':>8} {'index MB':>8}"
    print(header)
    for name, case, r in rows:
        if case == "ours-1%-changed":
            continue
        print(
            f"{name:<14} {case:<17} {r['articles_in']:>8} {r['chunks']:>7} {r['seconds']:>8.1f} "
            f"{r['articles_in'] / r['seconds']:>10.1f} {r['sentences'] / r['seconds']:>11.1f} "
            f"{r['peak_rss_mb']:>8.0f} {r['index_mb']:>8.1f}"
        )

    print("\nre-ingest after 1% of the articles changed (seconds; phases as the ingest report times them)")
    for name, case, r in rows:
        if case != "ours-1%-changed":
            continue
        ratio = r["reingest_seconds"] / r["full_seconds"]
        print(
            f"{name:<14} full {r['full_seconds']:.1f} s, re-ingest {r['reingest_seconds']:.1f} s = {ratio:.1%} "
            f"({r['embedded_again']} chunks embedded again)"
        )
        print(
            f"{'':<14} {r['articles_in']} articles, {r['chunks']} chunks, full ingest "
            f"{r['articles_in'] / r['full_seconds']:.1f} articles/s; peak {r['peak_rss_mb']:.0f} MB, "
            f"index {r['index_mb']:.1f} MB"
        )
        print(f"{'':<14} full phases: {_phases(r['full_phases'])}")
        print(f"{'':<14} re-ingest phases: {_phases(r['reingest_phases'])}")


def _phases(seconds: dict[str, float]) -> str:
    return ", ".join(f"{name} {value:.1f}" for name, value in seconds.items())


if __name__ == "__main__":
    main()
