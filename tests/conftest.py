"""Shared fixtures: the real corpora shipped in eval/corpora and a real seed index built once per session."""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from rag.config import Settings
from rag.ingest.pipeline import ingest
from rag.llm_server import LocalLLMServer

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "eval" / "corpora"  # shipped in the repo: a clone runs its tests alone
SEEDS = CORPUS / "seeds"
FAKES = CORPUS / "fakes.jsonl"
DAMAGED_COPY = SEEDS / "000_52adbdfa8497fdcb.txt"
FULL_COPY = SEEDS / "001_de26e5de12a4771e.txt"


def eval_script(name: str) -> ModuleType:
    """A benchmark script of eval/ (not a package) imported as a module, for tests that run it in small."""
    if name not in sys.modules:  # registered before it runs: its dataclasses look their module up there
        spec = importlib.util.spec_from_file_location(name, REPO / "eval" / f"{name}.py")
        assert spec and spec.loader
        module = sys.modules[name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope="session")
def seeds_index(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A real index (Chroma + MiniLM + BM25) of a copy of the seed corpus; tests must not modify it."""
    folder = tmp_path_factory.mktemp("seeds_index")
    corpus = folder / "seeds"
    shutil.copytree(SEEDS, corpus)
    settings = Settings(index_dir=folder / "index")
    ingest([corpus], settings, progress=False)
    return settings


@pytest.fixture(scope="session")
def llm_endpoint() -> Iterator[dict[str, str]]:
    """The project's real local LLM server (bundled Qwen2.5 1.5B GGUF), started once for the whole session, as
    the settings that reach it (its address and its per-run key): `settings.model_copy(update=llm_endpoint)`, so
    each Assistant does not start its own."""
    server = LocalLLMServer(Settings())
    yield {"llm_api_base": server.base_url, "llm_api_key": server.api_key}
    server.stop()


@pytest.fixture
def seed_copy(tmp_path: Path) -> Path:
    """A private, modifiable copy of the seed corpus."""
    target = tmp_path / "seeds"
    shutil.copytree(SEEDS, target)
    return target
