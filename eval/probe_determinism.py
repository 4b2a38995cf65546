"""Does the same question retrieve the same passages in another process? (issue #12 item 5)

    python eval/probe_determinism.py --index DIR SET.jsonl [SET.jsonl ...] [--processes 3] [--top-k 10]

Each of N fresh processes opens the index and retrieves every question of the sets (the pipeline's retriever,
hybrid); the script prints how many questions got other top-k passages, or other dense ranks, in some process.
It reads no answers, so it can be pointed at holdout sets.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ONE_PROCESS = """
import json, sys
from rag.config import load_settings
from rag.evaluation.dataset import load_eval_set
from rag.retrieve import HybridRetriever
from rag.store import IndexStore
index, top_k, sets = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
retriever = HybridRetriever(IndexStore(load_settings(index_dir=index), create=False))
found = {
    q.id: [(p.chunk_id, p.dense_rank) for p in retriever.retrieve(q.question, top_k=top_k)]
    for path in sets
    for q in load_eval_set(path)
}
print(json.dumps(found))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sets", nargs="+", type=Path)
    parser.add_argument("--index", required=True, type=Path)
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--top-k", type=int, default=10)
    args = parser.parse_args()
    command = [sys.executable, "-c", ONE_PROCESS, str(args.index), str(args.top_k), *map(str, args.sets)]
    runs = [
        json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout)
        for _ in range(args.processes)
    ]
    questions = list(runs[0])
    passages = [q for q in questions if len({json.dumps([c for c, _ in run[q]]) for run in runs}) > 1]
    ranks = [q for q in questions if len({json.dumps(run[q]) for run in runs}) > 1]
    print(f"{len(questions)} questions, {args.processes} processes, top {args.top_k}:")
    print(f"  other passages in some process: {len(passages)}")
    print(f"  other dense ranks in some process: {len(ranks)}")


if __name__ == "__main__":
    main()
