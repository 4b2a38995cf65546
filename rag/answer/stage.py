"""The answer stage: ranked sentences in -> a checked, cited `Answer` out. generate -> check -> cite -> render.

One short model call names the sentences that state the answer and gives the short answer. Nothing else the model
writes reaches the reader: the short answer is held to its cited sentences by the rules in check.py (a citation
the rules find elsewhere is re-bound there, by code), the sentences are then quoted verbatim beside it, and the
answer is shown only when every gate passes (`_withheld_because`). With the model unreachable, `extractive` quotes
the best-matching sentences instead, labelled as such.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta

from rag import rank
from rag.answer import check, dates
from rag.answer.check import Evidence
from rag.answer.generate import (
    REPLY_TOKENS,
    NumberedSources,
    Reply,
    answer_messages,
    answer_schema,
    headings,
    number_sources,
    parse_reply,
    says_not_stated,
)
from rag.answer.types import Answer, Citation, Progress
from rag.config import Settings
from rag.llm import LLMClient
from rag.retrieve import Filters, HybridRetriever, Passage
from rag.store import IndexStore

REFUSAL = "The articles do not say."
EXTRACTIVE_SENTENCES = 3
MAX_OTHER_FIGURES = 2  # other sources' tolls quoted beside the answer's


@dataclass
class Verdict:
    """What the checks decided about one reply: the sentence numbers to quote (with their support scores), how
    the citation was decided, and why the answer may not be shown (empty = it may)."""

    quoted: dict[int, float] = field(default_factory=dict)
    method: str = "checked in code"
    problems: list[str] = field(default_factory=list)
    confidence: float | None = None
    short_answer: str = ""  # set when the checks replaced the model's words with the cited sentences' own


class AnswerStage:
    """Turns the ranked candidate sentences of one question into the checked answer. Shares the store and its lock
    with the retriever (SQLite reads are serialised); searches again only for other sources' tolls."""

    def __init__(self, settings: Settings, store: IndexStore, lock: threading.Lock, retriever: HybridRetriever) -> None:
        self.settings = settings
        self.store = store
        self._lock = lock
        self._retriever = retriever

    def generated(
        self,
        answer: Answer,
        llm: LLMClient,
        query: str,
        ranked: list[rank.Candidate],
        passages: list[Passage],
        filters: Filters | None = None,
    ) -> Iterator[str | Progress]:
        """Fills `answer` from one model call, yielding progress first and the answer text once it has passed
        every check (never before). Raises `LLMUnavailable` when the model cannot be reached."""
        sources = number_sources(ranked, self.settings.prompt_sentences, headings(passages))
        articles = len({c.article_id for c in sources.sentences})
        yield Progress(f"Reading the {len(sources.sentences)} best-matching sentences from {articles} article(s)…")
        with timed(answer.timings, "generate"):
            schema = answer_schema(len(sources.sentences))
            draft = "".join(llm.stream_json(answer_messages(query, sources), schema, REPLY_TOKENS))
            answer.drafts[query] = draft
        with timed(answer.timings, "check"):
            reply = parse_reply(draft, len(sources.sentences))
            evidence = _EvidenceReader(self, sources, {p.article_id: p.metadata for p in passages})
            if reply.sources and reply.answer:  # an "according to X" that no cited sentence makes is the model's
                cited = evidence(reply.sources)
                stated = check.without_unsupported_attribution(reply.answer, cited)
                # and so is the story's year added to a day the sentence gives without one: worked out below instead
                reply = Reply(reply.sources, dates.without_inferred_year(stated, cited.sentences, cited.published))
            verdict = self._checked(query, reply, sources, evidence)
            reply = Reply(reply.sources, verdict.short_answer or reply.answer)
            answer.confidence = verdict.confidence
            if verdict.problems:
                answer.text, answer.notice = REFUSAL, "; ".join(verdict.problems)
                if reply.answer and not says_not_stated(reply.answer):
                    answer.withheld = [{"text": reply.answer, "sources": reply.sources, "problems": verdict.problems}]
                return
            answer.mode, answer.short_answer = "generated", reply.answer.rstrip(" .;:")
            quotes = [self._quote(answer, n, s, verdict.method, sources) for n, s in verdict.quoted.items()]
            others = self._other_figures(
                query, answer.short_answer, list(verdict.quoted), sources, ranked, evidence, filters
            )
            sides: list[str] = []
            if others:  # one toll given as the fact would be one side's account
                sides = [_side(answer.citations[0])]
                answer.text = f"The sources give different figures. {answer.short_answer} ({sides[0]}): "
                answer.text += " ".join(quotes)
                for number, figure in others:
                    quote = self._quote(answer, number, 1.0, "checked in code: another source's figure", sources)
                    sides.append(_side(answer.citations[-1]))
                    answer.text += f" {figure} ({sides[-1]}): {quote}"
            else:
                answer.text = f"{answer.short_answer}{_calendar_note(query, answer.short_answer, evidence, verdict)}: "
                answer.text += " ".join(quotes)
            for number in self._other_sides(list(verdict.quoted), sources):
                quote = self._quote(answer, number, 1.0, "quoted: the other side's account", sources)
                answer.text += f" The same article also reports: {quote}"
            quoted = [c.text for c in answer.citations]
            answer.disagreeing_sides = list(dict.fromkeys(sides)) or check.disagreeing_sides(quoted)
        yield answer.text

    def warm_up(self, llm: LLMClient) -> None:
        """Puts the fixed instructions into the server's prompt cache before the first question: on 2 cores the 1.5B
        model reads them in ~8 s, which the first question after a start would otherwise pay on top of its own
        sentences. Best effort, in the background: whatever fails (the endpoint, or a close() under way) is left for
        the first question to meet and report."""
        try:
            for _ in llm.stream_json(answer_messages("", NumberedSources([], {}, [])), answer_schema(1), 1):
                pass
        except Exception:  # nothing waits on the warm-up
            pass

    def extractive(self, answer: Answer, ranked: list[rank.Candidate], notice: str | None) -> None:
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
        answer.disagreeing_sides = check.disagreeing_sides([c.text for c in best])

    # --- check ---------------------------------------------------------------------------------------------------

    def _checked(self, query: str, reply: Reply, sources: NumberedSources, evidence: _EvidenceReader) -> Verdict:
        shown = len(sources.sentences)
        if says_not_stated(reply.answer):
            return Verdict(problems=[f"the model found no answer in the {shown} best-matching sentences"])
        verdict = Verdict(problems=_stated_problems(reply.answer, reply.sources, evidence))
        cited = reply.sources
        if verdict.problems:
            # The 1.5B model often cites the sentence next to the one it read the answer from (or none): the
            # citation is decided here, by the rules, never taken from the model on trust.
            # A sentence that states the answer alone replaces its citations; one that states the part its cited
            # sentences miss joins them (the other side of a two-sided answer).
            nearby = [n + step for n in reply.sources for step in (1, -1)]
            tries = [[n] for n in dict.fromkeys([*nearby, *sources.best_first]) if n not in reply.sources]
            tries += [[*reply.sources, *one] for one in tries] if reply.sources else []
            for numbers in tries:
                if sources.get(numbers[-1]) and not _stated_problems(reply.answer, numbers, evidence):
                    cited, verdict.problems = numbers, []
                    verdict.method = f"checked in code (the model cited {reply.sources}; these sentences state it)"
                    break
        if verdict.problems and reply.sources and check.question_kind(query) == "date":
            # "When ...?" answered with the story's date or a month, from a sentence that says "on Saturday": the
            # day as the cited sentences write it, if they name one
            cited_text = evidence(reply.sources)
            day = dates.day_the_sentences_give(reply.answer, cited_text.sentences, cited_text.published)
            if day != reply.answer and not _stated_problems(day, reply.sources, evidence):
                verdict.method = f"checked in code (the model answered {reply.answer!r}; the sentence gives the day)"
                reply, cited, verdict.short_answer, verdict.problems = Reply(reply.sources, day), reply.sources, day, []
        if verdict.problems:
            return verdict
        keep = check.relevant(reply.answer, evidence.texts(cited))
        cited = [n for n, kept in zip(cited, keep, strict=True) if kept]
        verdict.quoted = {n: check.coverage(reply.answer, evidence([n], strict=True)) for n in cited}
        # how well the cited sentences match the question with the answer in its place (not the question alone,
        # which a long question full of context matches loosely even in the sentence that answers it)
        asked = f"{query} {reply.answer}"
        cited_sentences = [sources.sentences[n - 1] for n in cited]
        verdict.confidence = round(max(rank.similarities(self._retriever.embedder, asked, cited_sentences)), 4)
        verdict.problems = self._withheld_because(query, reply.answer, cited, verdict.confidence, evidence)
        return verdict

    def _withheld_because(
        self, query: str, short_answer: str, cited: list[int], confidence: float, evidence: _EvidenceReader
    ) -> list[str]:
        """Why an answer its sentences state may still not be shown: they match the question too loosely, the
        answer is not the kind of thing asked, or the sentences are about another place, date or thing."""
        if confidence < self.settings.min_confidence:
            return [
                f"the sentences the answer rests on match the question too loosely (similarity {confidence:.2f} < "
                f"{self.settings.min_confidence})"
            ]
        stated = evidence(cited, whole_articles=True)
        return check.answer_problems(query, short_answer, stated) + check.question_problems(query, stated)

    # --- cite and render -----------------------------------------------------------------------------------------

    def _quote(self, answer: Answer, number: int, support: float, method: str, sources: NumberedSources) -> str:
        """The sentence quoted with its marker; markers are numbered 1..n in order of first citation."""
        candidate = sources.sentences[number - 1]
        known = next((c.number for c in answer.citations if c.sentence_id == candidate.sentence_id), None)
        if known is None:
            known = len(answer.citations) + 1
            answer.citations.append(self._citation(known, candidate, support, method))
        return f"“{candidate.text}” [{known}]"

    def _other_sides(self, quoted: list[int], sources: NumberedSources) -> list[int]:
        """The other side's account beside any quoted sentence that gives one side's (contested news read
        one-sided is misread), added to `sources` when the model was not shown it."""
        numbers = {candidate.sentence_id: n for n, candidate in enumerate(sources.sentences, start=1)}
        taken = {sources.sentences[n - 1].sentence_id for n in quoted}
        found = []
        for number in quoted:
            sentence = sources.sentences[number - 1]
            with self._lock:
                article = self.store.sentences(sentence.article_id)
            index = check.counterpart(sentence, article)
            if index is None or article[index]["id"] in taken:
                continue
            taken.add(article[index]["id"])
            if article[index]["id"] not in numbers:
                sources.sentences.append(rank.from_catalogue(article, index, sentence.passage_rank))
                numbers[article[index]["id"]] = len(sources.sentences)
            found.append(numbers[article[index]["id"]])
        return found

    def _other_figures(
        self,
        query: str,
        short_answer: str,
        quoted: list[int],
        sources: NumberedSources,
        ranked: list[rank.Candidate],
        evidence: _EvidenceReader,
        filters: Filters | None,
    ) -> list[tuple[int, str]]:
        """Other sources' figures for the toll the answer gives ("at least 60" beside "38"), each from a sentence
        that matches the question (cosine >= other_figure_min_similarity) and passes the checks any answer must
        (the question's place and date, a count of what was asked), as (sentence number, figure); added to
        `sources` when the model was not shown them; looked for in the question's candidates, then in other
        stories of the same days (`_other_reports`). None unless the answer's own figure is read as that toll in its
        sentence too (`check.tolls`). Giving one side's toll as the fact is how conflict questions were answered
        wrongly."""
        figures = set(check.numbers(short_answer))
        cited = [sources.sentences[n - 1] for n in quoted]
        if not figures & {toll for c in cited for toll in check.tolls(query, c.text)}:
            return []  # not a toll question, or the answer's own figure is not read as that toll
        taken = {c.sentence_id for c in cited}
        numbers = {c.sentence_id: n for n, c in enumerate(sources.sentences, start=1)}
        found: list[tuple[int, str]] = []
        for candidate in _chained(ranked, lambda: self._other_reports(query, cited, evidence, filters)):
            if len(found) == MAX_OTHER_FIGURES:
                break
            if candidate.sentence_id in taken or candidate.similarity < self.settings.other_figure_min_similarity:
                continue
            figure = next((toll for toll in check.tolls(query, candidate.text) if toll not in figures), None)
            if figure is None or not self._another_account(candidate, cited):
                continue
            stated = evidence.of([candidate], whole_articles=True)
            problems = check.question_problems(query, stated)
            if figure.isdigit():
                problems += check.answer_problems(query, figure, stated)
            if problems:
                continue
            if candidate.sentence_id not in numbers:
                sources.sentences.append(candidate)
                numbers[candidate.sentence_id] = len(sources.sentences)
            taken.add(candidate.sentence_id)
            figures.add(figure)
            found.append((numbers[candidate.sentence_id], figure))
        return found

    def _other_reports(
        self, query: str, cited: list[rank.Candidate], evidence: _EvidenceReader, filters: Filters | None
    ) -> list[rank.Candidate]:
        """Candidate sentences of the articles a second search finds among the stories published within
        `other_report_days` of the cited ones (the user's filters still apply), the cited articles left out: another
        outlet's account of an event is often ranked below the question's passages by stories of other days
        (cf-d-07's "at least 32" in Douma beside another story's 16), but first among those of its own days."""
        published = sorted(
            day for c in cited if (day := dates.parse_iso(str(evidence.meta.get(c.article_id, {}).get("date") or "")))
        )
        if not self.settings.other_report_days or not published:
            return []
        span = timedelta(days=self.settings.other_report_days)
        earliest, latest = str(published[0] - span), str(published[-1] + span)
        if filters and filters.date_from:
            earliest = max(earliest, filters.date_from)
        if filters and filters.date_to:
            latest = min(latest, filters.date_to)
        if earliest > latest:
            return []
        window = Filters(date_from=earliest, date_to=latest, sources=filters.sources if filters else ())
        own = {c.article_id for c in cited}
        with self._lock:
            found = self._retriever.retrieve(query, 2 * self.settings.top_k, window)
            passages = [p for p in found if p.article_id not in own][: self.settings.top_k]
            ranked = rank.rank(self._retriever.embedder, query, rank.candidates(self.store, passages))
        evidence.meta.update({p.article_id: p.metadata for p in passages if p.article_id not in evidence.meta})
        return ranked

    def _another_account(self, candidate: rank.Candidate, cited: list[rank.Candidate]) -> bool:
        """Whether a sentence is another source's account than the cited ones: from another article, or in the same
        article attributed to someone else ("SANA gave a toll of at least 12" beside "the Observatory said 20")."""
        same = [c for c in cited if c.article_id == candidate.article_id]
        if not same:
            return True
        who = check.speaker(candidate.text).lower()
        return bool(who) and all(who != check.speaker(c.text).lower() for c in same)

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


def _chained(first: list[rank.Candidate], more: Callable[[], list[rank.Candidate]]) -> Iterator[rank.Candidate]:
    """`first`, then what `more` returns: the second search runs only when the first candidates did not suffice."""
    yield from first
    yield from more()


def _side(citation: Citation) -> str:
    """Who gives a cited sentence's figure: the speaker it names, else its article's source."""
    return check.speaker(citation.text) or citation.source or "another article"


def _calendar_note(query: str, short_answer: str, evidence: _EvidenceReader, verdict: Verdict) -> str:
    """For a "when" answer that gives a weekday or a day without its year ("Monday", "18 July"): the calendar date,
    worked out from the cited article's publication date and said to be so."""
    if check.question_kind(query) != "date":
        return ""
    published = set(evidence(list(verdict.quoted)).published)
    day = dates.calendar_date(short_answer, published) if len(published) == 1 else None
    if day is None:
        return ""
    return f" ({dates.describe(day)}, counted from the article's date, {dates.describe(published.pop())})"


def _stated_problems(short_answer: str, cited: list[int], evidence: _EvidenceReader) -> list[str]:
    """Why the cited sentences do not state the short answer (empty = they do)."""
    if not short_answer:
        return ["the model's reply could not be read"]
    if not cited:
        return ["the answer cites no sentence"]
    return check.stated_problems(short_answer, evidence(cited, strict=True))


class _EvidenceReader:
    """`Evidence` for any set of shown sentence numbers; each cited article's text is read from the store once per
    question, however often the checks ask."""

    def __init__(self, stage: AnswerStage, sources: NumberedSources, meta: dict[str, dict]) -> None:
        self.stage, self.sources, self.meta = stage, sources, meta
        self._articles: dict[str, str] = {}

    def texts(self, numbers: list[int]) -> list[str]:
        return [self.sources.sentences[n - 1].text for n in numbers]

    def __call__(self, numbers: list[int], whole_articles: bool = False, strict: bool = False) -> Evidence:
        """`strict`: the cited sentences alone, no neighbours or titles (the short answer must be in what is
        quoted); `whole_articles`: with the cited articles' full text (what the question is about)."""
        return self.of([self.sources.sentences[n - 1] for n in dict.fromkeys(numbers)], whole_articles, strict)

    def of(self, cited: list[rank.Candidate], whole_articles: bool = False, strict: bool = False) -> Evidence:
        """The same for candidate sentences themselves, numbered or not."""
        if strict:
            return Evidence(" ".join(c.text for c in cited), "")
        articles = list(dict.fromkeys(c.article_id for c in cited))
        titles = [str(self.meta.get(a, {}).get("title", "")) for a in articles]
        dates = [self.meta.get(a, {}).get("date") for a in articles]
        return Evidence.of(cited, titles, dates, [self._text(a) for a in articles] if whole_articles else ())

    def _text(self, article_id: str) -> str:
        if article_id not in self._articles:
            with self.stage._lock:
                article = self.stage.store.article(article_id)
            self._articles[article_id] = str((article or {"text": ""})["text"])
        return self._articles[article_id]


class timed:
    """Adds the seconds spent in a `with` block to timings[stage]."""

    def __init__(self, timings: dict[str, float], stage: str) -> None:
        self.timings, self.stage = timings, stage

    def __enter__(self) -> None:
        self.started = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        elapsed = time.perf_counter() - self.started
        self.timings[self.stage] = round(self.timings.get(self.stage, 0.0) + elapsed, 4)
