"""The question-answering pipeline behind the API, the CLI and the UI:
question -> (rewrite) -> retrieve -> rank -> generate (one structured call) -> check (in code) -> Answer.

Nothing the model writes is shown before it is checked: each claim is shown once it is complete and stated by the
sentences it cites, and only when the answer as a whole has passed its gates (see `_withheld_because`).

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

from rag import check, generate, rank
from rag.answer import Answer, Citation, Progress, RetrievedPassage
from rag.check import Claim, Evidence
from rag.config import Settings, load_settings
from rag.generate import NumberedSources, StructuredDraft
from rag.llm import LLMClient, LLMUnavailable
from rag.retrieve import Filters, HybridRetriever, Passage
from rag.rewrite import normalise_history, standalone_question
from rag.store import IndexStore

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
    ) -> Iterator[str | Progress | Answer]:
        """Yields `Progress` at once, then the answer's checked claims as text (with [n] markers) as each one is
        complete and checked, then the final `Answer` (always last). Unchecked model text is never yielded."""
        question = " ".join(question.split())
        if not question:
            raise ValueError("the question is empty")
        if len(question) > MAX_QUESTION_CHARS:
            raise ValueError(f"the question is longer than {MAX_QUESTION_CHARS} characters")
        timings: dict[str, float] = {}
        started = time.perf_counter()
        llm, notice = self.llm, None if self.llm else self.llm_error
        yield Progress("Searching the articles…")

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
        answer = Answer(question=question, standalone_question=query, text="", mode="refused", timings=timings)
        answer.passages = [_shown(p) for p in passages]
        if not ranked:
            answer.text, answer.notice = REFUSAL, "nothing in the index matches the question"
            yield self._finish(answer, started)
            return

        if llm is not None:
            try:
                sources = generate.number_sources(ranked, self.settings.prompt_sentences, generate.headings(passages))
                articles = len({c.article_id for c in sources.sentences})
                yield Progress(
                    f"Reading the {len(sources.sentences)} best-matching sentences from {articles} article(s)…"
                )
                yield from self._generated(answer, llm, query, sources, {p.article_id: p.metadata for p in passages})
                answer.model = llm.model
                yield self._finish(answer, started)
                return
            except LLMUnavailable as error:
                notice = str(error)
        self._extractive(answer, ranked, notice)
        yield self._finish(answer, started)

    # --- stages ----------------------------------------------------------------------------------------------

    def _generated(
        self, answer: Answer, llm: LLMClient, query: str, sources: NumberedSources, meta: dict[str, dict]
    ) -> Iterator[str]:
        """One model call; each claim is checked as soon as its JSON object is complete, and shown (as text with
        markers) once it and the answer as a whole pass. Fills `answer`; refuses when nothing passes."""
        draft = StructuredDraft()
        claims: list[Claim] = []
        pieces: list[str] = []  # the answer text so far, one rendered claim each
        shown = 0
        messages = generate.answer_messages(query, sources)
        schema = generate.answer_schema(len(sources.sentences))
        with _timed(answer.timings, "generate"):
            for token in llm.stream_json(messages, schema):
                for item in draft.feed(token):
                    if isinstance(item, dict):
                        claims.append(self._checked(item, sources, meta))
                        kept = [c for c in claims if c.supported]
                        if len(kept) > shown and self._withheld_because(draft, query, kept, sources, meta) is None:
                            for claim in kept[shown:]:
                                pieces.append(self._render(answer, claim, sources))
                                yield (" " if len(pieces) > 1 else "") + pieces[-1]
                            shown = len(kept)
            draft.finish()
        with _timed(answer.timings, "check"):
            if not claims and draft.claims:  # read only at the end (no grammar, prose around the JSON)
                claims = [self._checked(item, sources, meta) for item in draft.claims]
            kept = [c for c in claims if c.supported]
            answer.draft, answer.confidence = draft.text, self._confidence(kept, sources)
            answer.withheld = [
                {"text": c.text, "sources": c.cited, "problems": c.problems} for c in claims if not c.supported
            ]
            reason = self._withheld_because(draft, query, kept, sources, meta)
            if reason is not None:
                answer.text, answer.notice = REFUSAL, reason
                answer.citations = []
                return
            pieces += [self._render(answer, claim, sources) for claim in kept[shown:]]
            pieces += [self._render(answer, quote, sources) for quote in self._other_sides(kept, sources)]
            answer.mode, answer.short_answer = "generated", draft.answer or ""
            answer.text = " ".join(pieces)
            if len(kept) < len(claims):
                answer.notice = f"{len(claims) - len(kept)} statement(s) not stated by their sources were left out"

    def _checked(self, item: dict, sources: NumberedSources, meta: dict[str, dict]) -> Claim:
        """A claim object of the model's reply, checked against the sentences it cites (`supported` filled when it
        passes, `problems` when not). An "according to X" that no cited sentence makes is removed first. A claim
        its own citations do not state is bound to the one shown sentence that does, if any (the 1.5B model often
        cites the sentence next to the one it copied): citations are decided by the checks, not by the model."""
        cited = generate.claim_sources(item, len(sources.sentences))
        text = " ".join(check.MARKER.sub("", str(item.get("text", ""))).split())
        claim = Claim(text=text, cited=cited)
        if not text or not cited:
            claim.problems = ["no text" if not text else "cites no source"]
            return claim
        evidence = self._evidence(cited, sources, meta)
        claim.text = check.without_unsupported_attribution(text, evidence)
        claim.problems = check.claim_problems(claim.text, evidence)
        if not claim.problems:
            claim.supported = dict.fromkeys(cited, check.coverage(claim.text, evidence))
            return claim
        neighbours = [n + step for n in cited for step in (1, -1)]
        for number in dict.fromkeys([*neighbours, *sources.best_first]):
            if number in cited or sources.get(number) is None:
                continue
            other = self._evidence([number], sources, meta)
            if not check.claim_problems(claim.text, other):
                claim.supported = {number: check.coverage(claim.text, other)}
                claim.support_method = f"checked in code (the model cited {cited}; this sentence states it)"
                break
        return claim

    def _withheld_because(
        self, draft: StructuredDraft, query: str, kept: list[Claim], sources: NumberedSources, meta: dict[str, dict]
    ) -> str | None:
        """Why the answer may not be shown, given the claims that passed so far (None = it may). Each gate can only
        open as more claims pass, never close, so a claim shown while streaming is never taken back."""
        shown = len(sources.sentences)
        if generate.says_not_stated(draft.answer):
            return f"the model found no answer in the {shown} best-matching sentences"
        if not kept:
            return "no sentence in the articles states what the model drafted, so it was withheld"
        confidence = self._confidence(kept, sources)
        if confidence is not None and confidence < self.settings.min_confidence:
            return (
                f"the sentences the answer rests on match the question too loosely (similarity {confidence:.2f} < "
                f"{self.settings.min_confidence})"
            )
        evidence = self._evidence([n for c in kept for n in c.supported], sources, meta)
        problems = check.answer_problems(query, draft.answer or "", evidence) + check.question_problems(query, evidence)
        return "; ".join(problems) or None

    @staticmethod
    def _confidence(kept: list[Claim], sources: NumberedSources) -> float | None:
        """How closely the best sentence the answer rests on matches the question (MiniLM cosine): the gate
        `min_confidence` is chosen on the dev split (eval/calibrate.py). It only grows as claims are added."""
        cited = [sources.sentences[n - 1].similarity for claim in kept for n in claim.supported]
        return round(max(cited), 4) if cited else None

    def _evidence(self, numbers: list[int], sources: NumberedSources, meta: dict[str, dict]) -> Evidence:
        cited = [sources.sentences[n - 1] for n in dict.fromkeys(numbers)]
        articles = list(dict.fromkeys(c.article_id for c in cited))
        titles = [str(meta.get(a, {}).get("title", "")) for a in articles]
        with self._lock:
            texts = [str((self.store.article(a) or {"text": ""})["text"]) for a in articles]
        return Evidence.of(cited, titles, [meta.get(a, {}).get("date") for a in articles], texts)

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
            index = check.counterpart(sentence, article)
            if index is None or article[index]["id"] in cited:
                continue
            cited.add(article[index]["id"])
            if article[index]["id"] not in numbers:
                sources.sentences.append(rank.from_catalogue(article, index, sentence.passage_rank))
                numbers[article[index]["id"]] = len(sources.sentences)
            quote = f"The same article also reports: “{article[index]['text']}”"
            quotes.append(Claim(quote, [], {numbers[article[index]["id"]]: 1.0}, "quoted: the other side's account"))
        return quotes

    def _render(self, answer: Answer, claim: Claim, sources: NumberedSources) -> str:
        """The claim as answer text with its markers renumbered 1..n in order of first citation (citations are
        added to `answer` as they first appear)."""
        markers = ""
        for number, support in claim.supported.items():
            candidate = sources.sentences[number - 1]
            known = next((c.number for c in answer.citations if c.sentence_id == candidate.sentence_id), None)
            if known is None:
                known = len(answer.citations) + 1
                answer.citations.append(self._citation(known, candidate, support, claim.support_method))
            markers += f"[{known}]"
        text = claim.text.rstrip()
        end = len(text.rstrip(".!?;:"))
        return f"{text[:end]} {markers}{text[end:] or '.'}"

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
