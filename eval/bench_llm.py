"""What constrained decoding, log-probabilities and per-token logits cost on the bundled llama.cpp server: the
pipeline's own answer prompts (first dev questions, the sources it would number for them) answered four ways, side
by side per question:

    plain        the prompt alone asks for the JSON (the default for the bundled server)
    plain+logits the same on a server started with --logits_all (`llm_logprobs`: logits for every prompt token)
    grammar      + response_format {"type": "json_object", "schema": answer_schema} (llama.cpp's grammar sampler)
    logprobs     plain on the logits server + logprobs (llama-cpp-python sorts the vocabulary for every token)

    python eval/bench_llm.py [--index DIR] [--questions 6] [--set SET.jsonl]

Two servers (the app's own settings, with and without `llm_logprobs`), one request at a time, variants interleaved
per question so a busy machine favours none; before each request its server is given the fixed instructions alone,
so every request finds them cached and nothing more, as a new question does in real use. Prints seconds to the first
reply token and per answer (p50), seconds per generated token, how many replies parse as the answer JSON, and each
server's resident memory. The index must exist (`rag ingest eval/corpora/seeds`).
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


def answer_prompts(index: Path, questions: Path, count: int) -> list[tuple[list[dict[str, str]], int]]:
    """The messages the pipeline would send for the first `count` questions, with their number of sources."""
    settings = load_settings().model_copy(update={"index_dir": index})
    assistant = Assistant(settings)  # no LLM: only retrieval and ranking are used here
    prompts = []
    try:
        for line in questions.read_text().splitlines()[:count]:
            question = json.loads(line)["question"]
            passages = assistant.retriever.retrieve(question, settings.top_k)
            ranked = rank.rank(assistant.retriever.embedder, question, rank.candidates(assistant.store, passages))
            sources = generate.number_sources(ranked, settings.prompt_sentences, generate.headings(passages))
            prompts.append((generate.answer_messages(question, sources), len(sources.sentences)))
    finally:
        assistant.close()
    return prompts


def resident_mb(pid: int) -> float:
    """The process's resident memory (Linux /proc), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, default=Path("index"))
    parser.add_argument("--questions", type=int, default=6)
    parser.add_argument("--set", type=Path, default=QUESTIONS, help="the questions (default: seeds-dev)")
    args = parser.parse_args()
    settings = load_settings()
    prompts = answer_prompts(args.index, args.set, args.questions)
    print(f"{len(prompts)} answer prompts, {settings.llm_threads} threads, model {settings.llm_model}")
    variants = {  # name -> (server, extra request arguments)
        "plain": ("answers", lambda n: {}),
        "plain+logits": ("logits", lambda n: {}),
        "grammar": (
            "answers",
            lambda n: {"response_format": {"type": "json_object", "schema": generate.answer_schema(n)}},
        ),
        "logprobs": ("logits", lambda n: {"logprobs": True, "top_logprobs": 1}),
    }
    first_token: dict[str, list[float]] = {name: [] for name in variants}
    seconds: dict[str, list[float]] = {name: [] for name in variants}
    per_token: dict[str, list[float]] = {name: [] for name in variants}
    parsed: dict[str, int] = dict.fromkeys(variants, 0)
    servers = {
        "answers": LocalLLMServer(settings.model_copy(update={"llm_logprobs": False})),
        "logits": LocalLLMServer(settings.model_copy(update={"llm_logprobs": True})),
    }
    clients = {name: OpenAI(base_url=s.base_url, api_key=s.api_key, timeout=900) for name, s in servers.items()}
    try:
        warm = generate.answer_messages("", generate.NumberedSources([], {}, []))  # the fixed instructions alone
        for turn, (messages, sources) in enumerate(prompts):
            names = list(variants)
            for name in names[turn % len(names) :] + names[: turn % len(names)]:  # each variant goes first in turn
                server, extra = variants[name]
                # back to the state a new question meets: only the fixed instructions cached (a server keeps the
                # previous prompt, so a second variant would otherwise find this whole prompt cached)
                clients[server].chat.completions.create(model=settings.llm_model, messages=warm, max_tokens=1)
                started = time.perf_counter()
                first, text, tokens = None, "", 0
                stream = clients[server].chat.completions.create(
                    model=settings.llm_model,
                    messages=messages,
                    max_tokens=settings.llm_max_tokens,
                    temperature=0.0,
                    seed=settings.llm_seed,
                    stream=True,
                    **extra(sources),
                )
                for chunk in stream:
                    piece = chunk.choices[0].delta.content if chunk.choices else None
                    if piece:
                        first = first if first is not None else time.perf_counter() - started
                        text += piece
                        tokens += 1
                elapsed = time.perf_counter() - started
                first_token[name].append(first if first is not None else elapsed)
                seconds[name].append(elapsed)
                per_token[name].append(elapsed / max(1, tokens))
                data = generate.parse_lenient(text)
                parsed[name] += bool(data and "answer" in data and isinstance(data.get("sources"), list))
        memory = {name: resident_mb(s._process.pid) for name, s in servers.items()}
    finally:
        for client in clients.values():
            client.close()
        for s in servers.values():
            s.stop()
    print(f"{'variant':<13} {'first token p50 s':>17} {'answer p50 s':>13} {'s/token p50':>12} {'valid JSON':>11}")
    for name in variants:
        print(
            f"{name:<13} {statistics.median(first_token[name]):>17.2f} {statistics.median(seconds[name]):>13.2f}"
            f" {statistics.median(per_token[name]):>12.3f} {parsed[name]:>7}/{len(prompts)}"
        )
    print("server resident MB: " + ", ".join(f"{name} {mb:.0f}" for name, mb in memory.items()))


if __name__ == "__main__":
    main()
