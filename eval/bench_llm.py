"""What the local LLM server's `--logits_all True` costs: the same answer prompts (dev questions, the sources the
pipeline would number for them) timed on a server with and without it.

    python eval/bench_llm.py [--index DIR] [--questions 6]

`--logits_all` makes llama.cpp compute the output layer for every prompt token, not only the last; it is what
lets the server return logprobs, which the yes/no citation judge reads P(yes) from. Each question is sent twice
per server: `max_tokens=1` (prompt processing) and `max_tokens=llm_max_tokens` (a whole answer). The servers run
one after the other, never side by side. The index must exist (`rag ingest eval/corpora/seeds`).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from openai import OpenAI

from rag import generate, rank
from rag.assistant import Assistant
from rag.config import load_settings
from rag.llm_server import LocalLLMServer

QUESTIONS = Path(__file__).resolve().parent / "sets" / "seeds-dev.jsonl"


def answer_prompts(index: Path, count: int) -> list[list[dict[str, str]]]:
    """The messages the pipeline's second (widest) pass would send for the first `count` dev questions."""
    settings = load_settings().model_copy(update={"index_dir": index})
    assistant = Assistant(settings)  # no LLM: only retrieval and ranking are used here
    prompts = []
    try:
        for line in QUESTIONS.read_text().splitlines()[:count]:
            question = json.loads(line)["question"]
            passages = assistant.retriever.retrieve(question, settings.top_k)
            ranked = rank.rank(assistant.retriever.embedder, question, rank.candidates(assistant.store, passages))
            sources = generate.number_sources(ranked, settings.retry_sentences, generate.headings(passages))
            prompts.append(generate.answer_messages(question, sources))
    finally:
        assistant.close()
    return prompts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, default=Path("index"))
    parser.add_argument("--questions", type=int, default=6)
    args = parser.parse_args()
    settings = load_settings()
    prompts = answer_prompts(args.index, args.questions)
    print(f"{len(prompts)} answer prompts, {settings.llm_threads} threads, model {settings.llm_model}")
    print(f"{'logits_all':<11} {'prompt p50 s':>13} {'answer p50 s':>13} {'prompt tokens':>14} {'answer tokens':>14}")
    for logits_all in (True, False):
        server = LocalLLMServer(settings, logits_all=logits_all)
        client = OpenAI(base_url=server.base_url, api_key="not-needed", timeout=600)
        prompt_s, answer_s, prompt_tokens, answer_tokens = [], [], [], []
        try:
            # Question after question, so the server reuses no more of the previous prompt than the system
            # prompt (as in real use: llama.cpp keeps the longest common prefix of the last request).
            for max_tokens, times in ((1, prompt_s), (settings.llm_max_tokens, answer_s)):
                for messages in prompts:
                    started = time.perf_counter()
                    reply = client.chat.completions.create(
                        model=settings.llm_model, messages=messages, max_tokens=max_tokens, temperature=0.0
                    )
                    times.append(time.perf_counter() - started)
                    if max_tokens > 1:
                        prompt_tokens.append(reply.usage.prompt_tokens)
                        answer_tokens.append(reply.usage.completion_tokens)
        finally:
            server.stop()
        print(
            f"{logits_all!s:<11} {statistics.median(prompt_s):>13.2f} {statistics.median(answer_s):>13.2f}"
            f" {statistics.median(prompt_tokens):>14.0f} {statistics.median(answer_tokens):>14.0f}"
        )


if __name__ == "__main__":
    main()
