"""The question-answering pipeline behind the API, the CLI and the UI:
question -> (rewrite) -> retrieve -> rank -> generate -> verify -> Answer with citations.

    from rag import Assistant
    with Assistant.open("index") as assistant:
        answer = assistant.ask("How many civilians were killed in Afrin on March 18?")
        print(answer.text, [c.text for c in answer.citations])
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from rag import generate, rank
from rag.answer import Answer, Citation, DraftWithdrawn, RetrievedPassage
from rag.config import Settings, load_settings
from rag.generate import NumberedSources
from rag.llm import LLMClient, LLMUnavailable
from rag.retrieve import Filters, HybridRetriever, Passage
from rag.rewrite import normalise_history, standalone_question
from rag.store import IndexStore
from rag.verify import Claim, counterpart, split_claims, verify

REFUSAL = "The articles do not say."
MAX_QUESTION_CHARS = 2000
EXTRACTIVE_SENTENCES = 3


class Assistant:
    """Answers questions over one index. Open once (it may start the local LLM server), ask many times;
    safe to share between threads (retrieval is serialised, the LLM server queues requests)."""

    def __init__(self, settings: Settings, llm: LLMClient | None = None, llm_error: str | None = None) -> None:
        self.settings = settings
        self.store = IndexStore(settings, create=False)
        self.retriever = HybridRetriever(self.store, mode=settings.retrieval_mode)
        self.llm = llm
        self.llm_error = llm_error
        self._lock = threading.Lock()

    @classmethod
    def open(cls, index_dir: str | Path | None = None, settings: Settings | None = None, **overrides: Any) -> Assistant:
        """Open the index (settings from ./rag.toml, RAG_* and overrides) and connect to, or start, the LLM."""
        settings = settings or load_settings()
        updates = {key: value for key, value in overrides.items() if value is not None}
        if index_dir is not None:
            updates["index_dir"] = Path(index_dir)
        settings = settings.model_copy(update=updates) if updates else settings
        assistant = cls(settings)
        try:
            assistant.llm = LLMClient(settings)
        except LLMUnavailable as error:
            assistant.llm_error = str(error)
        return assistant

    def __enter__(self) -> Assistant:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.llm is not None:
            self.llm.close()
        self.store.close()

    @property
    def model_description(self) -> str:
        return self.llm.description if self.llm else f"no LLM ({self.llm_error}); extractive answers"

    # --- public API ----------------------------------------------------------------------------------------

    def ask(
        self,
        question: str,
        history: Sequence[Any] | None = None,
        filters: Filters | None = None,
        top_k: int | None = None,
    ) -> Answer:
        answer: Answer | None = None
        for event in self.stream(question, history, filters, top_k):
            if isinstance(event, Answer):
                answer = event
        assert answer is not None
        return answer

    def chat(self, history: Sequence[Any], question: str, **options: Any) -> Answer:
        """`ask` with the conversation so far (Gradio messages or (user, assistant) pairs) for follow-ups."""
        return self.ask(question, history=history, **options)

    def stream(
        self,
        question: str,
        history: Sequence[Any] | None = None,
        filters: Filters | None = None,
        top_k: int | None = None,
    ) -> Iterator[str | DraftWithdrawn | Answer]:
        """Yields the draft answer's text deltas as the model writes them, then the verified `Answer` (always last).
        A `DraftWithdrawn` between them means the draft so far failed verification and a new one follows."""
        question = " ".join(question.split())
        if not question:
            raise ValueError("the question is empty")
        if len(question) > MAX_QUESTION_CHARS:
            raise ValueError(f"the question is longer than {MAX_QUESTION_CHARS} characters")
        timings: dict[str, float] = {}
        started = time.perf_counter()
        llm, notice = self.llm, None if self.llm else self.llm_error

        with _timed(timings, "rewrite"):
            try:
                query = standalone_question(llm, normalise_history(history), question)
            except LLMUnavailable as error:
                llm, notice = None, str(error)
                query = standalone_question(None, normalise_history(history), question)
        with self._lock:
            with _timed(timings, "retrieve"):
                passages = self.retriever.retrieve(query, top_k or self.settings.top_k, filters)
            with _timed(timings, "rank"):
                ranked = rank.rank(self.retriever.embedder, query, rank.candidates(self.store, passages))
                labels = generate.headings(passages)
        answer = Answer(question=question, standalone_question=query, text="", mode="refused", timings=timings)
        answer.passages = [_shown(p) for p in passages]
        if not ranked:
            answer.text, answer.notice = REFUSAL, "nothing in the index matches the question"
            yield self._finish(answer, started)
            return

        if llm is not None:
            try:
                sizes = self._prompt_sizes(len(ranked))
                for attempt, shown in enumerate(sizes, start=1):
                    sources = generate.number_sources(ranked, shown, labels)
                    pieces: list[str] = []
                    streamed = False
                    with _timed(timings, "generate"):
                        for delta in generate.stream_draft(llm, query, sources, pieces):
                            streamed = True
                            yield delta
                    with _timed(timings, "verify"):
                        self._verified(answer, llm, query, "".join(pieces), sources)
                    if answer.mode == "generated" or attempt == len(sizes):
                        break
                    if streamed:
                        yield DraftWithdrawn(str(answer.notice))
                answer.model = llm.model
                yield self._finish(answer, started)
                return
            except LLMUnavailable as error:
                notice = str(error)
        self._extractive(answer, ranked, notice)
        yield self._finish(answer, started)

    # --- stages ----------------------------------------------------------------------------------------------

    def _prompt_sizes(self, available: int) -> list[int]:
        """How many sentences the model sees on the first pass and, if that gives no verified answer, on the
        second (a small model misses answers among many sentences, and invents some among few)."""
        first, wider = self.settings.prompt_sentences, self.settings.retry_sentences
        return [first, wider] if wider > first and available > first else [first]

    def _verified(self, answer: Answer, llm: LLMClient, query: str, draft: str, sources: NumberedSources) -> None:
        """Keep the claims with supported citations, renumber their markers 1..n, or refuse."""
        answer.draft = draft
        answer.dropped_citations, answer.notice = [], None  # a second pass starts clean
        if generate.says_not_found(draft):
            shown = len(sources.sentences)
            answer.text, answer.notice = REFUSAL, f"the model found no answer in the {shown} best-matching sentences"
            return
        claims = split_claims(draft)
        verify(llm, query, claims, sources, self.settings.support_threshold, self.settings.repair_threshold)
        answer.dropped_citations = sorted({n for c in claims for n in c.cited if n not in c.supported})
        kept = [claim for claim in claims if claim.supported]
        if not kept:
            answer.text = REFUSAL
            answer.notice = "no sentence in the articles supports the drafted answer, so it was withheld"
            return
        answer.mode = "generated"
        answer.text = self._with_markers(answer, kept + self._other_sides(kept, sources), sources)
        if len(kept) < len(claims):
            answer.notice = f"{len(claims) - len(kept)} unsupported statement(s) removed from the answer"

    def _other_sides(self, claims: list[Claim], sources: NumberedSources) -> list[Claim]:
        """Quotes, after the answer, the other side's account beside any cited sentence that gives one side's
        (contested news read one-sided is misread). Added to `sources` when the model was not shown it."""
        numbers = {candidate.sentence_id: n for n, candidate in enumerate(sources.sentences, start=1)}
        cited = {sources.sentences[n - 1].sentence_id for claim in claims for n in claim.supported}
        quotes = []
        for number in [n for claim in claims for n in claim.supported]:
            sentence = sources.sentences[number - 1]
            with self._lock:
                article = self.store.sentences(sentence.article_id)
            index = counterpart(sentence, article)
            if index is None or article[index]["id"] in cited:
                continue
            cited.add(article[index]["id"])
            if article[index]["id"] not in numbers:
                sources.sentences.append(rank.from_catalogue(article, index, sentence.passage_rank))
                numbers[article[index]["id"]] = len(sources.sentences)
            quote = f"The same article also reports: “{article[index]['text']}”"
            quotes.append(Claim(quote, [], {numbers[article[index]["id"]]: 1.0}, "quoted: the other side's account"))
        return quotes

    def _with_markers(self, answer: Answer, claims: list[Claim], sources: NumberedSources) -> str:
        renumber: dict[int, int] = {}
        pieces = []
        for claim in claims:
            for number, support in claim.supported.items():
                if number not in renumber:
                    renumber[number] = len(renumber) + 1
                    candidate = sources.sentences[number - 1]
                    answer.citations.append(self._citation(renumber[number], candidate, support, claim.support_method))
            markers = "".join(f"[{renumber[n]}]" for n in claim.supported)
            text = claim.text.rstrip()
            end = len(text.rstrip(".!?;:"))
            pieces.append(f"{text[:end]} {markers}{text[end:]}")
        return " ".join(pieces)

    def _extractive(self, answer: Answer, ranked: list[rank.Candidate], notice: str | None) -> None:
        """No model: quote the best-matching sentences (or refuse when none matches well enough)."""
        best = [c for c in ranked[:EXTRACTIVE_SENTENCES] if c.similarity >= self.settings.extractive_min_similarity]
        reason = f"No LLM answer ({notice})." if notice else "No LLM answer."
        if not best:
            answer.text, answer.notice = REFUSAL, reason + " No sentence matches the question closely enough."
            return
        answer.mode = "extractive"
        answer.notice = reason + " Quoting the sentences that best match the question instead."
        for number, candidate in enumerate(best, start=1):
            answer.citations.append(self._citation(number, candidate, candidate.similarity, "embedding-similarity"))
        answer.text = "\n".join(f"“{c.text}” [{n}]" for n, c in enumerate(best, start=1))

    # --- helpers ---------------------------------------------------------------------------------------------

    def _citation(self, number: int, candidate: rank.Candidate, support: float, method: str) -> Citation:
        with self._lock:
            article = self.store.article(candidate.article_id)
        return Citation(
            number=number,
            article_id=candidate.article_id,
            title=article["title"],
            date=article["date"],
            source=article["source"],
            url=article["url"],
            locator=article["locator"],
            sentence_id=candidate.sentence_id,
            sentence_index=candidate.index,
            text=candidate.text,
            start=candidate.start,
            end=candidate.end,
            orig_start=candidate.orig_start,
            orig_end=candidate.orig_end,
            support=round(support, 4),
            support_method=method,
        )

    @staticmethod
    def _finish(answer: Answer, started: float) -> Answer:
        answer.timings["total"] = round(time.perf_counter() - started, 4)
        return answer


def _shown(passage: Passage) -> RetrievedPassage:
    meta = passage.metadata
    return RetrievedPassage(
        chunk_id=passage.chunk_id,
        article_id=passage.article_id,
        title=meta.get("title", ""),
        date=meta.get("date") or None,
        source=meta.get("source") or None,
        text=passage.text,
        score=round(passage.score, 6),
        dense_rank=passage.dense_rank,
        bm25_rank=passage.bm25_rank,
        sentence_ids=passage.sentence_ids,
    )


class _timed:
    """Adds the seconds spent in a `with` block to timings[stage]."""

    def __init__(self, timings: dict[str, float], stage: str) -> None:
        self.timings, self.stage = timings, stage

    def __enter__(self) -> None:
        self.started = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        elapsed = time.perf_counter() - self.started
        self.timings[self.stage] = round(self.timings.get(self.stage, 0.0) + elapsed, 4)
