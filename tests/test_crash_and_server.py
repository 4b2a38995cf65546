"""Interrupted ingests leave the previous index usable; Chroma server mode against a real `chroma run`."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import chromadb
import pytest
from chromadb.config import Settings as ChromaSettings

from rag.config import Settings
from rag.ingest.pipeline import ingest
from rag.llm_server import free_port
from rag.retrieve import HybridRetriever
from rag.store import IndexStore
from tests.conftest import FAKES

BIN = Path(sys.executable).parent
pytestmark = pytest.mark.slow


def _start_ingest(export: Path, index_dir: Path, *options: str) -> subprocess.Popen:
    return subprocess.Popen(
        [str(BIN / "rag"), "ingest", str(export), "--index", str(index_dir), *options],
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "100"},
        # as from a shell: an ignored SIGINT in the test process (left by an earlier test) would be inherited
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def _wait_for_embedding_progress(process: subprocess.Popen, timeout: float = 180) -> None:
    """Read the progress bar until at least one batch of vectors has been written."""
    deadline = time.monotonic() + timeout
    seen = ""
    while time.monotonic() < deadline:
        seen += process.stderr.read(1)
        if re.search(r"embedding:.*\| *[1-9]\d*/\d+", seen):
            return
        if process.poll() is not None:
            break
    raise AssertionError(f"no embedding progress seen: {seen[-500:]!r}")


def _check_previous_index(settings: Settings, articles: int) -> None:
    store = IndexStore(settings, create=False)
    try:
        numbers = store.stats()
        assert numbers["articles"] == articles
        assert store.bm25_is_current()
        assert store.chunk_ids() <= store.vector_ids()  # every catalogued chunk still has its vector
        rows = store.chunk_rows()
        hit = store.collection.get(ids=[rows[0]["id"]], include=["documents"])
        assert hit["documents"] == [rows[0]["text"]]
    finally:
        store.close()


def test_killed_and_interrupted_ingest_leave_previous_index_and_resume(seed_copy: Path, tmp_path: Path):
    settings = Settings(index_dir=tmp_path / "index")
    seeds_report = ingest([seed_copy], settings, progress=False)
    export = tmp_path / "more.jsonl"
    # All 804 articles: enough embedding work that the second, interrupted run is still embedding when SIGINT
    # arrives (with 120, and once in a full fresh-clone run with 400, it had finished the vectors the killed run left
    # before the signal came)
    export.write_text(FAKES.read_text(encoding="utf-8"), encoding="utf-8")

    killed = _start_ingest(export, settings.index_dir)
    _wait_for_embedding_progress(killed)
    killed.send_signal(signal.SIGKILL)
    killed.wait(30)
    _check_previous_index(settings, articles=4)

    interrupted = _start_ingest(export, settings.index_dir)
    _wait_for_embedding_progress(interrupted)
    interrupted.send_signal(signal.SIGINT)
    _, stderr = interrupted.communicate(timeout=60)
    assert interrupted.returncode == 130, stderr[-1500:]
    assert "previous index is unchanged" in stderr
    _check_previous_index(settings, articles=4)

    finished = subprocess.run(
        [str(BIN / "rag"), "ingest", str(export), "--index", str(settings.index_dir), "--no-progress", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(finished.stdout)
    assert report["articles"] > 100
    # Vectors written before the kill were adopted, not embedded again.
    assert report["reused_chunks"] > seeds_report.chunks
    store = IndexStore(settings, create=False)
    assert store.chunk_ids() == store.vector_ids()  # orphans adopted, nothing stale left
    store.close()

    # A rebuild killed while it embeds leaves the previous index whole and in use; the next run drops its leftovers.
    rebuild = _start_ingest(export, settings.index_dir, "--rebuild")
    _wait_for_embedding_progress(rebuild)
    rebuild.send_signal(signal.SIGKILL)
    rebuild.wait(30)
    _check_previous_index(settings, articles=report["articles"])
    assert subprocess.run([str(BIN / "rag"), "ingest", "--index", str(settings.index_dir)], check=True).returncode == 0
    store = IndexStore(settings, create=False)
    assert [c.name for c in store._client().list_collections()] == [store.collection_name]
    store.close()


def test_a_first_ingest_killed_early_still_knows_its_root(tmp_path: Path):
    export = tmp_path / "first.jsonl"
    export.write_text("".join(FAKES.read_text(encoding="utf-8").splitlines(keepends=True)[:200]), encoding="utf-8")
    index_dir = tmp_path / "index"
    killed = _start_ingest(export, index_dir)
    _wait_for_embedding_progress(killed)
    killed.send_signal(signal.SIGKILL)
    killed.wait(30)
    store = IndexStore(Settings(index_dir=index_dir), create=False)
    assert store.roots() == [str(export.resolve())]  # a plain `rag ingest` resumes it
    store.close()


def _chroma_server(path: Path, port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [str(BIN / "chroma"), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            chromadb.HttpClient(
                host="127.0.0.1", port=port, settings=ChromaSettings(anonymized_telemetry=False)
            ).heartbeat()
            return server
        except Exception:
            time.sleep(0.3)
    server.kill()
    raise AssertionError("chroma server did not start")


FLOOD = (
    "Flood in Valparaiso\n\nA flood in the town of Valparaiso destroyed twelve bridges on Monday, the mayor said. "
    "The river rose four metres overnight.\n"
)


def test_chroma_server_mode(seed_copy: Path, tmp_path: Path):
    port = free_port()
    server = _chroma_server(tmp_path / "chroma-server", port)
    settings = Settings(index_dir=tmp_path / "index", chroma_host="127.0.0.1", chroma_port=port)
    try:
        report = ingest([seed_copy], settings, progress=False)
        assert report.articles == 4
        assert not (settings.index_dir / "chroma").exists()  # vectors went to the server
        client = chromadb.HttpClient(host="127.0.0.1", port=port, settings=ChromaSettings(anonymized_telemetry=False))
        assert client.get_collection(settings.collection).count() == report.chunks

        # A running reader (the UI's retriever) finds, by dense search, what another process ingested meanwhile.
        reader = IndexStore(settings, create=False)
        retriever = HybridRetriever(reader, mode="dense")
        more = tmp_path / "more"
        more.mkdir()
        (more / "flood.txt").write_text(FLOOD, encoding="utf-8")
        subprocess.run(
            [str(BIN / "rag"), "ingest", str(more), "--index", str(settings.index_dir), "--no-progress"],
            check=True,
            capture_output=True,
            env={**os.environ, "RAG_CHROMA_HOST": "127.0.0.1", "RAG_CHROMA_PORT": str(port)},
        )
        hits = retriever.retrieve("How many bridges did the flood in Valparaiso destroy?", 3)
        assert hits and "Valparaiso" in hits[0].text
        chunks = len(reader.chunk_ids())
        assert chunks > report.chunks
        reader.close()
    finally:
        server.terminate()
        server.wait(30)
    server = _chroma_server(tmp_path / "chroma-server", port)  # data survives a server restart
    try:
        store = IndexStore(settings, create=False)
        assert store.stats()["vectors"] == chunks
        assert store.chunk_ids() == store.vector_ids()
        store.close()
        assert ingest([seed_copy], settings, progress=False).up_to_date
    finally:
        server.terminate()
        server.wait(30)


def test_scale_out_two_ui_processes_share_one_chroma_server_and_one_llm_server(
    seed_copy: Path, tmp_path: Path, llm_endpoint: dict[str, str]
):
    """The shape beyond one process, by settings only: a `chroma run` server and an OpenAI-compatible LLM server
    (the bundled llama.cpp one here) shared by two `rag ui` processes over one index folder (catalogue and BM25).
    Both answer with the same citations, and both see what an ingest in a third process added."""
    from gradio_client import Client

    from tests.conftest import eval_script

    start_ui = eval_script("load_test").start_ui
    port = free_port()
    server = _chroma_server(tmp_path / "chroma-server", port)
    shared = {
        "chroma_host": "127.0.0.1",
        "chroma_port": str(port),
        "llm_api_base": llm_endpoint["llm_api_base"],
        "llm_api_key": llm_endpoint["llm_api_key"],
    }
    index = tmp_path / "index"
    uis = []
    try:
        for n in range(2):  # the first builds the index (vectors into the server), the second opens it
            uis.append(start_ui(index, seed_copy, tmp_path / f"ui-{n}.log", **shared))
        assert not (index / "chroma").exists()  # no local vectors: both read the server's
        clients = [Client(url, verbose=False, download_files=False) for _, url in uis]
        afrin = "How many civilians were reportedly killed in the rocket strike on Afrin on March 18?"
        answers = [client.predict(afrin, api_name="/ask") for client in clients]
        assert answers[0]["model"] == answers[1]["model"] == Settings().llm_model  # the shared endpoint answered
        assert answers[0]["text"] == answers[1]["text"]  # one index, one model, deterministic decoding
        assert [p["chunk_id"] for p in answers[0]["passages"]] == [p["chunk_id"] for p in answers[1]["passages"]]

        more = tmp_path / "more"
        more.mkdir()
        (more / "flood.txt").write_text(FLOOD, encoding="utf-8")
        subprocess.run(
            [str(BIN / "rag"), "ingest", str(more), "--index", str(index), "--no-progress"],
            check=True,
            capture_output=True,
            env={**os.environ, "RAG_CHROMA_HOST": "127.0.0.1", "RAG_CHROMA_PORT": str(port)},
        )
        flood = "How many bridges did the flood in Valparaiso destroy?"
        for client in clients:  # each running process picks up the new catalogue generation on its next question
            passages = client.predict(flood, api_name="/ask")["passages"]
            assert passages and "Valparaiso" in passages[0]["text"]
    finally:
        for process, _ in uis:
            process.terminate()
            process.wait(30)
        server.terminate()
        server.wait(30)
