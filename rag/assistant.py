"""The question-answering pipeline behind the API, the CLI and the UI:
question -> (rewrite) -> retrieve -> rank -> answer stage (rag/answer: generate, check, cite) -> Answer.

Nothing the model writes is shown before it is checked (see rag/answer/stage.py).

    from rag import Assistant
    with Assistant.open("index") as assistant:
        answer = assistant.ask("How many civilians were killed in Afrin on March 18?")
        print(answer.text, [c.text for c in answer.citations])
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from pathlib import Path
from typing import Any

from rag import rank
from rag.answer import Answer, Citation, Progress, RetrievedPassage, counts, dates, hops
from rag.answer import between as days_between
from rag.answer.stage import REFUSAL, AnswerStage, timed
from rag.config import Settings, load_settings
from rag.llm import LLMClient, LLMUnavailable
from rag.retrieve import Filters, HybridRetriever, Passage
from rag.rewrite import normalise_history, standalone_question
from rag.store import IndexStore

__all__ = ["REFUSAL", "Assistant"]

MAX_QUESTION_CHARS = 2000


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
        self.stage = AnswerStage(settings, self.store, self._lock, self.retriever)

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
        if assistant.llm is not None and assistant.llm.bundled:  # not a paid endpoint: a request it need not bill
            threading.Thread(target=assistant.stage.warm_up, args=(assistant.llm,), daemon=True).start()
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
    ) -> Iterator[str | Progress | Answer]:
        """Yields `Progress` at once (and as the stages go), then the answer text once it has passed every check,
        then the final `Answer` (always last). Unchecked model text is never yielded."""
        question = " ".join(question.split())
        if not question:
            raise ValueError("the question is empty")
        if len(question) > MAX_QUESTION_CHARS:
            raise ValueError(f"the question is longer than {MAX_QUESTION_CHARS} characters")
        timings: dict[str, float] = {}
        started = time.perf_counter()
        llm, notice = self.llm, None if self.llm else self.llm_error
        yield Progress("Searching the articles…")

        with timed(timings, "rewrite"):
            try:
                query = standalone_question(llm, normalise_history(history), question)
            except LLMUnavailable as error:
                llm, notice = None, str(error)
                query = standalone_question(None, normalise_history(history), question)
        between = days_between.parse(query) if llm is not None else None
        two_counts = counts.parse(query) if llm is not None and between is None else None
        steps = hops.parse(query) if llm is not None and between is None and two_counts is None else None
        if between is not None:
            answer = yield from self._days_between(question, query, between, llm, filters, top_k, timings)
        elif two_counts is not None:
            answer = yield from self._two_counts(question, query, two_counts, llm, filters, top_k, timings)
        else:
            answer = yield from self._answered(question, query, llm, notice, filters, top_k, timings, steps is None)
            if steps is not None:
                answer = yield from self._two_steps(question, query, steps, answer, llm, filters, top_k, timings)
        yield self._finish(answer, started)

    def _answered(
        self,
        question: str,
        query: str,
        llm: LLMClient | None,
        notice: str | None,
        filters: Filters | None,
        top_k: int | None,
        timings: dict[str, float],
        show_text: bool = True,
    ) -> Generator[str | Progress, None, Answer]:
        """One question through retrieve -> rank -> answer stage; yields progress and (if `show_text`) the checked
        answer text, and returns the Answer."""
        with self._lock:
            with timed(timings, "retrieve"):
                passages = self.retriever.retrieve(query, top_k or self.settings.top_k, filters)
            with timed(timings, "rank"):
                ranked = rank.rank(self.retriever.embedder, query, rank.candidates(self.store, passages))
        answer = Answer(question=question, standalone_question=query, text="", mode="refused", timings=timings)
        answer.passages = [_shown(p) for p in passages]
        if not ranked:
            answer.text, answer.notice = REFUSAL, "nothing in the index matches the question"
            return answer
        if llm is not None:
            try:
                for event in self.stage.generated(answer, llm, query, ranked, passages, filters):
                    if show_text or isinstance(event, Progress):
                        yield event
                answer.model = llm.model
                return answer
            except LLMUnavailable as error:
                notice = str(error)
        self.stage.extractive(answer, ranked, notice)
        return answer

    def _each_of_two(
        self,
        question: str,
        asks: Sequence[tuple[str, str]],
        value_of: Callable[[Answer], Any],
        llm: LLMClient,
        filters: Filters | None,
        top_k: int | None,
        timings: dict[str, float],
    ) -> Generator[str | Progress, None, tuple[list[Answer], list[Any]]]:
        """Two sub-questions (progress message, question) answered and checked in turn, and the value (a day, a count)
        each checked answer gives; the second is not asked when the first gives none (the model call would be spent
        for nothing: the combination needs both)."""
        parts: list[Answer] = []
        values: list[Any] = []
        for message, sub_question in asks:
            yield Progress(message)
            part = yield from self._answered(question, sub_question, llm, None, filters, top_k, timings, False)
            parts.append(part)
            values.append(value_of(part))
            if values[-1] is None:
                break
        return parts, values

    @staticmethod
    def _not_combined(question: str, query: str, parts: list[Answer], timings: dict[str, float], why: str) -> Answer:
        """The refusal of a question answered from two sub-questions: both parts' passages and withheld answers
        kept; an unchecked (extractive) part's notice said first."""
        answer = Answer(question=question, standalone_question=query, text=REFUSAL, mode="refused", timings=timings)
        answer.passages = [p for part in parts for p in part.passages]
        answer.withheld = [item for part in parts for item in part.withheld]
        answer.drafts = _drafts(*parts)
        unchecked = next((part.notice for part in parts if part.mode == "extractive"), None)
        answer.notice = f"{unchecked} {why}" if unchecked else why
        return answer

    @staticmethod
    def _combined(
        question: str,
        query: str,
        parts: list[Answer],
        timings: dict[str, float],
        llm: LLMClient,
        shown: tuple[str, list[Citation]],
    ) -> Answer:
        """The answer worked out from two checked parts: `shown` is its text and citations (the parts' quotes,
        renumbered), the parts' passages kept, its confidence the lower of theirs."""
        text, citations = shown
        answer = Answer(question=question, standalone_question=query, text=text, mode="generated", timings=timings)
        answer.citations, answer.model = citations, llm.model
        answer.passages = [p for part in parts for p in part.passages]
        answer.short_answer = text.split(" (", 1)[0]
        answer.confidence = min(part.confidence or 0.0 for part in parts)
        answer.drafts = _drafts(*parts)
        return answer

    def _days_between(
        self,
        question: str,
        query: str,
        between: days_between.DaysBetween,
        llm: LLMClient,
        filters: Filters | None,
        top_k: int | None,
        timings: dict[str, float],
    ) -> Generator[str | Progress, None, Answer]:
        """ "How many days between A and B": each day asked and checked on its own, the difference counted in code."""
        events = (between.first, between.second)
        asks = [
            (f"Looking for the date of {event}…", sub)
            for event, sub in zip(events, between.sub_questions(), strict=True)
        ]
        parts, days = yield from self._each_of_two(question, asks, days_between.day_of, llm, filters, top_k, timings)
        if any(part.mode == "extractive" for part in parts):
            why = "Days between two events are counted only from checked answers."
            return self._not_combined(question, query, parts, timings, why)
        if days[-1] is None:  # the values stop at the first missing one
            why = f"the articles do not give the day of {events[len(days) - 1]}"
            return self._not_combined(question, query, parts, timings, why)
        first, second = days
        if between.form == "after" and second < first:
            # "how long after A did B" with B dated before A: one of the two days is wrong (most often a year read
            # from an article date that is not the story's), so neither is shown as the answer
            why = (
                f"the days found ({dates.describe(first)}, {dates.describe(second)}) put {between.second} before "
                f"{between.first}, which the question says came first"
            )
            return self._not_combined(question, query, parts, timings, why)
        shown = days_between.combined(between, (parts[0], parts[1]), (first, second))
        answer = self._combined(question, query, parts, timings, llm, shown)
        yield answer.text
        return answer

    def _two_counts(
        self,
        question: str,
        query: str,
        asked: counts.TwoCounts,
        llm: LLMClient,
        filters: Filters | None,
        top_k: int | None,
        timings: dict[str, float],
    ) -> Generator[str | Progress, None, Answer]:
        """ "How many in total in A and B" / "how many more in A than B" / "which had more": each count asked and
        checked on its own, the sum, difference or larger worked out in code."""
        events = (asked.first, asked.second)
        asks = [
            (f"Looking for the count for {event}…", sub)
            for event, sub in zip(events, asked.sub_questions(), strict=True)
        ]
        count_of = functools.partial(counts.count_of, counted=asked.counted)
        parts, found = yield from self._each_of_two(question, asks, count_of, llm, filters, top_k, timings)
        if any(part.mode == "extractive" for part in parts):
            why = "Counts of two events are combined only from checked answers."
            return self._not_combined(question, query, parts, timings, why)
        if found[-1] is None:  # the values stop at the first missing one
            part = parts[-1]
            given = "sources that disagree" if part.disagreeing_sides else "no single number"
            why = f"the articles give {given} for {events[len(found) - 1]}"
            return self._not_combined(question, query, parts, timings, why)
        shared = {c.sentence_id for c in parts[0].citations} & {c.sentence_id for c in parts[1].citations}
        if shared and found[0] == found[1]:
            # one number of one sentence for both events: one count read as both, not two counts
            why = f"one number of one sentence was found for both {asked.first} and {asked.second}"
            return self._not_combined(question, query, parts, timings, why)
        shown = counts.combined(asked, (parts[0], parts[1]), (found[0], found[1]))
        answer = self._combined(question, query, parts, timings, llm, shown)
        yield answer.text
        return answer

    def _two_steps(
        self,
        question: str,
        query: str,
        steps: hops.TwoSteps,
        whole: Answer,
        llm: LLMClient,
        filters: Filters | None,
        top_k: int | None,
        timings: dict[str, float],
    ) -> Generator[str | Progress, None, Answer]:
        """A question that describes a town, group or person instead of naming it, not answered as asked: the
        described thing's name asked and checked first, then the question about it, checked on its own; shown
        only when both steps are stated by the sentences they cite (else the whole question's own answer)."""
        if whole.mode != "refused":
            yield whole.text
            return whole
        yield Progress(f"Looking for the {steps.kind} the question describes…")
        first = yield from self._answered(question, steps.first, llm, None, filters, top_k, timings, False)
        name = hops.bridge(first, query)
        whole.drafts = _drafts(whole, first)
        if name is None:
            if first.mode == "extractive":
                whole.notice = first.notice
            yield whole.text
            return whole
        yield Progress(f"Looking for the answer about {name}…")
        second = yield from self._answered(question, steps.second_with(name), llm, None, filters, top_k, timings, False)
        whole.drafts = _drafts(whole, second)
        if second.mode != "generated":
            found = f"the {steps.kind} the question describes is {name}, but {second.notice}"
            whole.notice = f"{whole.notice}; {found}" if whole.notice else found
            whole.withheld += second.withheld
            yield whole.text
            return whole
        answer = Answer(question=question, standalone_question=query, text="", mode="generated", timings=timings)
        answer.text, answer.citations, answer.steps = hops.combined(steps, first, second)
        answer.passages = [*second.passages, *first.passages]
        answer.short_answer = second.short_answer
        answer.confidence = min(first.confidence or 0.0, second.confidence or 0.0)
        answer.disagreeing_sides = second.disagreeing_sides
        answer.drafts = _drafts(whole)
        answer.model = llm.model
        yield answer.text
        return answer

    @staticmethod
    def _finish(answer: Answer, started: float) -> Answer:
        answer.timings["total"] = round(time.perf_counter() - started, 4)
        return answer


def _drafts(*answers: Answer) -> dict[str, str]:
    """Every model reply the answers were built from, by the question it answered."""
    return {question: draft for answer in answers for question, draft in answer.drafts.items()}


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
