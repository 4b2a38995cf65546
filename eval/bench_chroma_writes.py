"""What persisting Chroma's graph after every write costs (rag/store.py VECTOR_INDEX) against Chroma's default.

    python eval/bench_chroma_writes.py [--vectors 5000 25000]

Writes N clustered unit vectors (384-d, like MiniLM chunks) in batches of 40, as an ingest adds them, into a fresh
embedded collection per setting, each in its own subprocess, and prints the seconds of writing and of 50 queries.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile

ONE_CASE = """
import json, sys, time
import chromadb, numpy as np
from chromadb.config import Settings
count, hnsw, path = int(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
rng = np.random.default_rng(0)
vectors = rng.standard_normal((256, 384))[rng.integers(0, 256, count)] + 0.6 * rng.standard_normal((count, 384))
vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32).tolist()
client = chromadb.PersistentClient(path=path, settings=Settings(anonymized_telemetry=False))
collection = client.get_or_create_collection("bench", embedding_function=None, configuration={"hnsw": hnsw})
started = time.perf_counter()
for begin in range(0, count, 40):
    collection.add(ids=[f"v{i}" for i in range(begin, min(begin + 40, count))], embeddings=vectors[begin : begin + 40])
written = time.perf_counter() - started
started = time.perf_counter()
collection.query(query_embeddings=vectors[:50], n_results=40, include=[])
print(json.dumps({"write_s": written, "query50_s": time.perf_counter() - started}))
"""


def main() -> None:
    from rag.store import VECTOR_INDEX

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vectors", type=int, nargs="+", default=[5000, 25000])
    args = parser.parse_args()
    cases = {"chroma default": {"space": "cosine"}, "persist every write": VECTOR_INDEX}
    print(f"{'vectors':>8} {'setting':<20} {'write s':>8} {'per 1,000':>9} {'50 queries s':>12}")
    for count in args.vectors:
        for name, hnsw in cases.items():
            with tempfile.TemporaryDirectory() as path:
                command = [sys.executable, "-c", ONE_CASE, str(count), json.dumps(hnsw), path]
                result = json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout)
            per_1000 = result["write_s"] / count * 1000
            print(f"{count:>8} {name:<20} {result['write_s']:>8.1f} {per_1000:>9.2f} {result['query50_s']:>12.3f}")


if __name__ == "__main__":
    main()
