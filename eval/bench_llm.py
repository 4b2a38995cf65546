"""What constrained decoding and log-probabilities cost on the bundled llama.cpp server: the pipeline's own answer
prompts (first dev questions, the sources it would number for them) answered three ways, side by side per question:

    plain        the prompt alone asks for the JSON (the default for the bundled server)
    grammar      + response_format {"type": "json_object", "schema": answer_schema} (llama.cpp's grammar sampler)
    logprobs     plain + logprobs (llama-cpp-python sorts the whole vocabulary for every generated token)

    python eval/bench_llm.py [--index DIR] [--questions 6]

One server (the app's own settings), one request at a time, variants interleaved per question so a busy machine
favours none; the system prompt stays in the server's prompt cache across all of them, as in real use. Prints
seconds per answer and per generated token (p50), and how many replies parse as the answer JSON. The index must
exist (`rag ingest eval/corpora/seeds`).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from openai import OpenAI

from rag import rank
from rag.answer import generate
from rag.assistant import Assistant
from rag.config import load_settings
from rag.llm_server import LocalLLMServer

QUESTIONS = Path(__file__).resolve().parent / "sets" / "seeds-dev.jsonl"


def answer_prompts(index: Path, count: int) -> list[tuple[list[dict[str, str]], int]]:
    """The messages the pipeline would send for the first `count` dev questions, with their number of sources."""
    settings = load_settings().model_copy(update={"index_dir": index})
    assistant = Assistant(settings)  # no LLM: only retrieval and ranking are used here
    prompts = []
    try:
        for line in QUESTIONS.read_text().splitlines()[:count]:
            question = json.loads(line)["question"]
            passages = assistant.retriever.retrieve(question, settings.top_k)
            ranked = rank.rank(assistant.retriever.embedder, question, rank.candidates(assistant.store, passages))
            sources = generate.number_sources(ranked, settings.prompt_sentences, generate.headings(passages))
            prompts.append((generate.answer_messages(question, sources), len(sources.sentences)))
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
    variants = {
        "plain": lambda n: {},
        "grammar": lambda n: {"response_format": {"type": "json_object", "schema": generate.answer_schema(n)}},
        "logprobs": lambda n: {"logprobs": True, "top_logprobs": 1},
    }
    seconds: dict[str, list[float]] = {name: [] for name in variants}
    per_token: dict[str, list[float]] = {name: [] for name in variants}
    parsed: dict[str, int] = dict.fromkeys(variants, 0)
    server = LocalLLMServer(settings)
    client = OpenAI(base_url=server.base_url, api_key=server.api_key, timeout=900)
    try:
        client.chat.completions.create(model=settings.llm_model, messages=prompts[0][0], max_tokens=1)  # warm cache
        for messages, sources in prompts:
            for name, extra in variants.items():
                started = time.perf_counter()
                reply = client.chat.completions.create(
                    model=settings.llm_model,
                    messages=messages,
                    max_tokens=settings.llm_max_tokens,
                    temperature=0.0,
                    seed=settings.llm_seed,
                    **extra(sources),
                )
                elapsed = time.perf_counter() - started
                seconds[name].append(elapsed)
                per_token[name].append(elapsed / max(1, reply.usage.completion_tokens))
                data = generate.parse_lenient(reply.choices[0].message.content or "")
                parsed[name] += bool(data and "answer" in data and isinstance(data.get("sources"), list))
    finally:
        server.stop()
    print(f"{'variant':<10} {'answer p50 s':>13} {'s/token p50':>12} {'valid JSON':>11}")
    for name in variants:
        print(
            f"{name:<10} {statistics.median(seconds[name]):>13.2f} {statistics.median(per_token[name]):>12.3f}"
            f" {parsed[name]:>7}/{len(prompts)}"
        )


if __name__ == "__main__":
    main()
