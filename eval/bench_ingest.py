"""Ingest benchmark: this project's pipeline vs a plain llama-index VectorStoreIndex.from_documents, same embedder.

    python eval/bench_ingest.py [--corpus PATH ...]

Each case runs in a fresh subprocess (so peak RSS is its own) into a fresh temporary index, and prints
articles/s, sentences/s, peak memory and index size side by side.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CORPORA = Path(__file__).resolve().parent / "corpora"
DEFAULT_CORPORA = [CORPORA / "seeds", CORPORA / "fakes.jsonl"]


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


def _child(case: str, corpus: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        index_dir = Path(folder) / "index"
        started = time.perf_counter()
        runners = {
            "ours": run_ours,
            "plain-llamaindex": run_plain_llamaindex,
            "plain-li-256tok": lambda path, folder: run_plain_llamaindex(path, folder, chunk_size=256),
        }
        result = runners[case](Path(corpus), index_dir)
        result["seconds"] = time.perf_counter() - started
        result["index_mb"] = sum(p.stat().st_size for p in index_dir.rglob("*") if p.is_file()) / 1e6
        result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print("RESULT " + json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", action="append", type=Path, help="folder or export (repeatable)")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return
    rows = []
    for corpus in args.corpus or DEFAULT_CORPORA:
        for case in ("ours", "plain-llamaindex", "plain-li-256tok"):
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
        print(
            f"{name:<14} {case:<17} {r['articles_in']:>8} {r['chunks']:>7} {r['seconds']:>8.1f} "
            f"{r['articles_in'] / r['seconds']:>10.1f} {r['sentences'] / r['seconds']:>11.1f} "
            f"{r['peak_rss_mb']:>8.0f} {r['index_mb']:>8.1f}"
        )


if __name__ == "__main__":
    main()
