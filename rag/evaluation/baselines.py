"""Baselines run beside the project's pipeline by `rag eval --baseline`, over the same index and local model:

- `bm25-only`, `dense-only`: the project's own Assistant with `retrieval_mode` switched (same ranking, prompt and
  citation verification), to show what hybrid retrieval adds;
- `llamaindex-citation`: a plain llama-index `VectorStoreIndex` over the same Chroma collection and embedder with
  `CitationQueryEngine` and the same LLM endpoint, to show what the whole pipeline adds. Its sources are chunks,
  so its citations are chunks: a cited chunk counts as gold if it contains a gold evidence sentence.

Each baseline answers with the project's `Answer` type so one scorer serves all systems.
"""

from __future__ import annotations

import re
import time
from typing import Any

from rag.answer import Answer, Citation, RetrievedPassage
from rag.answer.check import MARKER
from rag.config import Settings
from rag.store import IndexStore

LLAMAINDEX = "llamaindex-citation"

# A plain engine has no explicit "not found" channel: these phrasings count as declining to answer.
_ABSTAINS = re.compile(
    r"\b(not (mentioned|provided|specified|stated|given|included|available|found|known|clear|possible to determine)"
    r"|(does|do|did) not (say|mention|provide|contain|specify|state|include|indicate|give)"
    r"|no (information|mention|details?|data|answer)"
    r"|cannot be (determined|answered|found)|can ?not (determine|answer|find)|unable to (determine|answer|find)"
    r"|not in (the )?sources|there is no)\b",
    re.IGNORECASE,
)
_SOURCE_LABEL = re.compile(r"^\s*Source \d+:\s*\n?")
# The engine labels its chunks "Source 1:", so small models cite "[Source 1]" or "Source 1" as often as "[1]".
_SOURCE_REFERENCE = re.compile(r"\[\s*Source\s+(\d{1,3})\s*\]|\bSource\s+(\d{1,3})\b", re.IGNORECASE)


def looks_like_abstention(text: str) -> bool:
    return not text.strip() or bool(_ABSTAINS.search(text))


class CitationEngineBaseline:
    """llama-index `VectorStoreIndex.from_vector_store` + `CitationQueryEngine.from_args`, nothing else."""

    name = LLAMAINDEX

    def __init__(self, settings: Settings, store: IndexStore, endpoint: str, model: str, api_key: str) -> None:
        from llama_index.core import Settings as LlamaSettings
        from llama_index.core import VectorStoreIndex
        from llama_index.core.query_engine import CitationQueryEngine
        from llama_index.llms.openai_like import OpenAILike

        from rag.embed import build_embedder

        embedder = build_embedder(settings)
        llm = OpenAILike(
            model=model,
            api_base=endpoint,
            api_key=api_key,
            is_chat_model=True,
            context_window=settings.llm_context,
            max_tokens=settings.llm_max_tokens,
            temperature=0.0,
            timeout=settings.llm_timeout,
            max_retries=0,
        )
        LlamaSettings.llm = llm  # the library defaults reach for OpenAI
        LlamaSettings.embed_model = embedder
        index = VectorStoreIndex.from_vector_store(store.vector_store(), embed_model=embedder)
        self.engine = CitationQueryEngine.from_args(index, llm=llm, similarity_top_k=settings.top_k)
        self.model = model

    def ask(self, question: str) -> Answer:
        from llama_index.core.schema import QueryBundle

        timings: dict[str, float] = {}
        started = time.perf_counter()
        bundle = QueryBundle(question)
        retrieved = self.engine.retrieve(bundle)
        timings["retrieve"] = round(time.perf_counter() - started, 4)
        mark = time.perf_counter()
        response = self.engine.synthesize(bundle, retrieved)
        timings["generate"] = round(time.perf_counter() - mark, 4)
        timings["total"] = round(time.perf_counter() - started, 4)

        text = as_markers(str(response.response or "").strip())
        answer = Answer(
            question=question,
            standalone_question=question,
            text=text,
            mode="refused" if looks_like_abstention(text) else "generated",
            passages=[_passage(item) for item in retrieved],
            model=self.model,
            timings=timings,
        )
        sources = list(response.source_nodes)
        for number in dict.fromkeys(int(n) for n in MARKER.findall(text)):
            if 1 <= number <= len(sources):  # a marker naming no source is left unresolved (and scores nothing)
                answer.citations.append(_citation(number, sources[number - 1]))
        return answer


def as_markers(text: str) -> str:
    """Rewrites the engine's "[Source n]" / "Source n" citations as the "[n]" markers every system is scored by."""
    return _SOURCE_REFERENCE.sub(lambda match: f"[{match.group(1) or match.group(2)}]", text)


def _passage(item: Any) -> RetrievedPassage:
    meta = item.node.metadata
    return RetrievedPassage(
        chunk_id=item.node.node_id,
        article_id=meta.get("article_id", ""),
        title=meta.get("title", ""),
        date=meta.get("date") or None,
        source=meta.get("source") or None,
        text=item.node.get_content(),
        score=round(float(item.score or 0.0), 6),
        dense_rank=None,
        bm25_rank=None,
        sentence_ids=[s for s in str(meta.get("sentence_ids", "")).split(",") if s],
    )


def _citation(number: int, item: Any) -> Citation:
    meta = item.node.metadata
    return Citation(
        number=number,
        article_id=meta.get("article_id", ""),
        title=meta.get("title", ""),
        date=meta.get("date") or None,
        source=meta.get("source") or None,
        url=meta.get("url") or None,
        locator=meta.get("path", ""),
        sentence_id="",  # a chunk, not a sentence
        sentence_index=-1,
        text=_SOURCE_LABEL.sub("", item.node.get_content()).strip(),
        start=int(meta.get("start", 0) or 0),
        end=int(meta.get("end", 0) or 0),
        orig_start=-1,
        orig_end=-1,
        support=0.0,
        support_method="none (chunk cited by CitationQueryEngine)",
    )
