"""Load test of the running chat UI: N concurrent browser-like sessions (gradio_client, one session each) hold
short conversations through the page's own chat turn, with a fixed time limit; optionally an ingest runs on the
same index meanwhile.

Prints errors, cross-session leaks, per-question latency, queue wait and throughput. A session's answers leak if
its chat shows another session's question, or if an answer's citation links carry a turn number other than the
session's own (the turn is the length of the server-side conversation state: a shared or swapped state shows as a
wrong number). With --ingest, every sentence an answer cited must be a committed sentence of the index afterwards
(readers see the old or the new index, never a half-written one).

    python eval/load_test.py                      # starts `rag ui` over the seed articles with the bundled model
    python eval/load_test.py --ingest eval/corpora/fakes.jsonl   # the same with an ingest running at once
    python eval/load_test.py --url http://127.0.0.1:7860 --index index   # a UI that is already running

This is a benchmark (it prints numbers); the test suite runs a small version of it (tests/test_load_test.py).
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from rag.llm_server import free_port

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SEEDS = REPO / "eval" / "corpora" / "seeds"

# One conversation per session (cycled when there are more sessions): a question and follow-ups that need the
# session's own history to be understood.
CONVERSATIONS = [
    [
        "Whose positions in Jisr al-Shughur did the Syrian Arab Army hit with a rocket strike on March 6?",
        "Why was that strike carried out?",
        "When had the area last been struck before that?",
    ],
    [
        "How many militants were eliminated in the strike on the Jaysh al-Izza headquarters?",
        "Which field commander was among them?",
        "Near which town was the headquarters?",
    ],
    [
        "Which forces repelled the ISIS attack between al-Sukhna and the T3 station on March 17?",
        "How many vehicles supported the attackers?",
        "What did pro-opposition sources claim about the army's losses?",
    ],
    [
        "How many civilians were reportedly killed in the rocket strike on Afrin on March 18?",
        "Who was blamed for it?",
        "What is the 'Afrin Liberation Forces' label?",
    ],
    [
        "Who was Alaa al-Omar?",
        "Where was he assassinated?",
        "Which group did pro-government sources link to his killing?",
    ],
    [
        "What was Hayat Tahrir al-Sham formerly called?",
        "How many ISIS members did it execute after the suicide bombing in Idlib city?",
        "Where did it stop Turkish military vehicles?",
    ],
    [
        "According to Amaq, how many soldiers did ISIS cells kill in the ambush near al-Sukhna in June 2020?",
        "Where did the previous ISIS raid in the desert take place?",
        "How many troops were killed in that one?",
    ],
    [
        "Which coalition claimed to have repelled an attack by Russian special forces in the village of Benin?",
        "Did Russian troops die there?",
        "Which US official accused Russia of killing Turkish military personnel?",
    ],
]
CITE_TURN = re.compile(r'href="#cite-(\d+)-')
CITED_TEXT = re.compile(r'<q class="cited-text">(.*?)</q>', re.S)


@dataclass
class Turn:
    question: str
    waited: float = 0.0  # submit -> the first streamed update (the event started: queue wait)
    total: float = 0.0  # submit -> the final answer
    error: str = ""
    leak: str = ""
    linked: bool = False  # its links carried a turn number, so the state check could run
    refused: bool = False  # "The articles do not say."
    cited: list[str] = field(default_factory=list)


def run_session(url: str, number: int, questions: list[str], deadline: float) -> list[Turn]:
    """One browser-like session: its own gradio_client (own session hash, own server-side state)."""
    from gradio_client import Client

    turns: list[Turn] = []
    try:
        client = Client(url, verbose=False, download_files=False)
    except Exception as error:  # the session could not even connect
        return [Turn(question, error=f"connect: {error}") for question in questions]
    chat: list = []
    for turn_index, question in enumerate(questions):
        turn = Turn(question)
        turns.append(turn)
        if time.monotonic() > deadline:
            turn.error = "time limit reached before it was asked"
            continue
        started = time.monotonic()
        try:
            job = client.submit(question, chat, "", "", [], 6, api_name="/page_ask")
            latest: list = [None, None, None, None]  # chat, status, sources, question box: the last value sent
            for update in job:  # streamed updates; the first one is sent as soon as the event runs
                if not turn.waited:
                    turn.waited = time.monotonic() - started
                latest = [old if _unchanged(new) else new for old, new in zip(latest, update, strict=True)]
                if time.monotonic() > deadline:
                    job.cancel()
                    raise TimeoutError("time limit reached while answering")
            job.result(timeout=max(1.0, deadline - time.monotonic()))  # raises what the event raised
        except Exception as error:
            turn.error = f"{type(error).__name__}: {error}"
            continue
        turn.total = time.monotonic() - started
        chat, status, sources = latest[0] or [], latest[1], latest[2]
        if status:
            turn.error = f"status: {html.unescape(re.sub('<[^>]+>', '', str(status)))}"
            continue
        turn.leak = leak_in(chat, sources, questions[: turn_index + 1], turn_index)
        turn.linked = bool(CITE_TURN.search(str(sources or "")))
        turn.refused = "notice-refused" in (_text(chat[-1]) if chat else "")
        turn.cited = [html.unescape(text) for text in CITED_TEXT.findall(str(sources or ""))]
    return turns


def leak_in(chat: list, sources: object, asked: list[str], turn_index: int) -> str:
    """What in this turn's outputs belongs to another session ("" if nothing)."""
    users = [_text(message) for message in chat if message.get("role") == "user"]
    if [html.unescape(user) for user in users] != asked:
        return f"chat shows questions {users!r}, this session asked {asked!r}"
    answer = _text(chat[-1]) if chat and chat[-1].get("role") == "assistant" else ""
    turns = {int(n) for n in CITE_TURN.findall(answer + str(sources or ""))}
    if turns - {turn_index}:
        return f"links of turn(s) {sorted(turns)} in this session's turn {turn_index}"
    return ""


def _unchanged(value: object) -> bool:
    """An output the event did not set in this update (Gradio sends an empty update for it)."""
    return isinstance(value, dict) and value.get("__type__") == "update" and "value" not in value


def _text(message: dict) -> str:
    content = message.get("content")
    if isinstance(content, list):  # Gradio's content parts
        return "".join(part.get("text", "") if isinstance(part, dict) else str(part) for part in content)
    return str(content or "")


def start_ui(index: Path, corpus: Path, log_path: Path, **settings: str) -> tuple[subprocess.Popen, str]:
    """`rag ui` over `index` (built from `corpus` first if missing) on a free port, with more settings as RAG_*
    variables (llm_enabled="false", chroma_host=...); returns once it answers."""
    port = free_port()
    env = {**os.environ, "RAG_INDEX_DIR": str(index), "RAG_UI_PORT": str(port), "ANONYMIZED_TELEMETRY": "False"}
    env.update({f"RAG_{name.upper()}": value for name, value in settings.items()})
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(BIN / "rag"), "ui", "--corpus", str(corpus)], stdout=log, stderr=subprocess.STDOUT, env=env
        )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 900  # a first run builds the index
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"rag ui exited with {process.returncode}:\n{log_path.read_text()[-2000:]}")
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return process, url
        except OSError:
            time.sleep(0.5)
    process.kill()
    raise RuntimeError("rag ui did not answer within 900 s")


def committed_sentences(index: Path) -> set[str]:
    with sqlite3.connect(f"file:{index / 'catalog.sqlite'}?mode=ro", uri=True) as db:
        return {" ".join(row[0].split()) for row in db.execute("SELECT text FROM sentences")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="a running UI (default: start `rag ui` over a fresh copy of --corpus)")
    parser.add_argument("--index", type=Path, help="its index folder (for --ingest and the citation check)")
    parser.add_argument("--corpus", type=Path, default=SEEDS, help="what a started UI answers from")
    parser.add_argument("--sessions", type=int, default=8)
    parser.add_argument("--questions", type=int, default=3, help="questions per session (a conversation)")
    parser.add_argument("--time-limit", type=float, default=900.0, help="seconds for the whole load")
    parser.add_argument("--ingest", type=Path, help="ingest this folder/export into the same index meanwhile")
    parser.add_argument("--extractive", action="store_true", help="a started UI answers without the LLM")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    if args.url and args.ingest and not args.index:  # a started UI's index is known
        parser.error("--ingest with --url needs --index (the running UI's index folder)")

    workdir = Path(tempfile.mkdtemp(prefix="newsrag-load-"))
    ui = None
    try:
        url, index = args.url, args.index
        if url is None:
            index = workdir / "index"
            corpus = workdir / "corpus"  # a copy: the ingest must not record the repo's own folder as a root
            if args.corpus.is_dir():
                shutil.copytree(args.corpus, corpus)
            else:
                shutil.copy2(args.corpus, corpus := workdir / args.corpus.name)
            print(f"starting rag ui over {args.corpus} (index {index}) ...", flush=True)
            extractive = {"llm_enabled": "false"} if args.extractive else {}
            ui, url = start_ui(index, corpus, workdir / "ui.log", **extractive)
        print(f"{args.sessions} sessions x {args.questions} questions against {url}", flush=True)

        ingest_result: dict[str, object] = {}
        ingester = None
        if args.ingest:

            def run_ingest() -> None:
                begun = time.monotonic()
                done = subprocess.run(
                    [str(BIN / "rag"), "ingest", str(args.ingest.resolve()), "--index", str(index), "--no-progress"],
                    capture_output=True,
                    text=True,
                    env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
                )
                ingest_result.update(rc=done.returncode, seconds=time.monotonic() - begun, err=done.stderr[-500:])

            ingester = threading.Thread(target=run_ingest)

        started = time.monotonic()
        deadline = started + args.time_limit
        if ingester is not None:
            ingester.start()
        with ThreadPoolExecutor(args.sessions) as pool:
            futures = [
                pool.submit(run_session, url, n, CONVERSATIONS[n % len(CONVERSATIONS)][: args.questions], deadline)
                for n in range(args.sessions)
            ]
            sessions = [future.result() for future in futures]
        wall = time.monotonic() - started
        if ingester is not None:
            ingester.join()

        turns = [turn for session in sessions for turn in session]
        answered = [turn for turn in turns if not turn.error]
        errors = [turn for turn in turns if turn.error]
        leaks = [turn for turn in answered if turn.leak]
        unknown_citations: list[str] = []
        if index is not None:
            committed = committed_sentences(Path(index))
            unknown_citations = [
                text for turn in answered for text in turn.cited if " ".join(text.split()) not in committed
            ]
        figures = {
            "sessions": args.sessions,
            "questions": len(turns),
            "answered": len(answered),
            "errors": len(errors),
            "cross_session_leaks": len(leaks),
            "turns_with_state_check": sum(turn.linked for turn in answered),
            "refused": sum(turn.refused for turn in answered),
            "citations_checked": sum(len(turn.cited) for turn in answered) if index is not None else None,
            "citations_not_in_index": len(unknown_citations) if index is not None else None,
            "wall_seconds": round(wall, 1),
            "throughput_questions_per_min": round(60 * len(answered) / wall, 2) if wall else 0.0,
            "latency_p50_s": _percentile([t.total for t in answered], 50),
            "latency_p95_s": _percentile([t.total for t in answered], 95),
            "queue_wait_p50_s": _percentile([t.waited for t in answered], 50),
            "queue_wait_p95_s": _percentile([t.waited for t in answered], 95),
            "ingest": ingest_result or None,
        }
        for turn in errors:
            print(f"  error: {turn.question!r}: {turn.error}")
        for turn in leaks:
            print(f"  LEAK: {turn.question!r}: {turn.leak}")
        for text in unknown_citations:
            print(f"  cited sentence not in the index: {text[:100]!r}")
        for key, value in figures.items():
            print(f"{key:>30}: {value}")
        if args.json:
            args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
        failed = errors or leaks or unknown_citations or (ingest_result and ingest_result.get("rc") != 0)
        return 1 if failed else 0
    finally:
        if ui is not None:
            ui.terminate()
            try:
                ui.wait(30)
            except subprocess.TimeoutExpired:
                ui.kill()
        shutil.rmtree(workdir, ignore_errors=True)


def _percentile(values: list[float], q: int) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return round(values[0], 2)
    return round(statistics.quantiles(values, n=100, method="inclusive")[q - 1], 2)


if __name__ == "__main__":
    sys.exit(main())
