"""HTML for the chat UI: answers with clickable [n] markers, the article view with the cited sentence marked, the
sources panel and the ingest report.

Article, model and file-name text can contain markup (scraped pages carry `<script>`), so every such string goes
through `html.escape` before any markup of ours is added around it. A click on any link to "#cite-KEY" opens KEY
in the article view: KEY is "TURN-N" for citation N of answer TURN, or "TURN-pI" for retrieved passage I (the key
is in the href because the chatbot's sanitiser strips data-* attributes).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import Any

from rag.answer import Answer, Citation
from rag.answer.types import MARKER

MODE_LABELS = {
    "extractive": "Extractive answer: the language model is unavailable, these are quoted sentences",
    "refused": "No answer",
}
PASSAGE_PREVIEW_CHARS = 280
ARTICLE_PLACEHOLDER = (
    '<div class="placeholder">Click a citation marker like [1] to read the cited sentence in its article.</div>'
)
SOURCES_PLACEHOLDER = '<div class="placeholder">Cited and retrieved passages appear here after a question.</div>'


def cite_link(key: str, label: str, hint: str = "") -> str:
    return f'<a class="cite" href="#cite-{escape(key)}" title="{escape(hint)}">{escape(label)}</a>'


def _where(source: str | None, date: str | None) -> str:
    return ", ".join(part for part in (source, date) if part)


def _text(value: str) -> str:
    """Escaped text whose line breaks survive inside one HTML block (the chat renders markdown around it)."""
    return escape(value).replace("\n", "<br>")


def pending_html(draft: str, progress: str = "Searching the articles…") -> str:
    """The answer while it streams: what the assistant is doing until the checked answer arrives, then that text
    (links are added when the answer is complete)."""
    if not draft:
        return f'<span class="pending">{escape(progress)}</span>'
    return f'<div class="answer-text draft">{_text(draft)}<span class="cursor">▌</span></div>'


def _linked(text: str, answer: Answer, turn: int) -> str:
    """`text` as HTML with each [n] marker a link that opens its cited sentence in its article."""
    cited = {citation.number: citation for citation in answer.citations}

    def marker(match: re.Match[str]) -> str:
        number = int(match.group(1))
        citation = cited.get(number)
        return cite_link(f"{turn}-{number}", match.group(0), citation.title) if citation else match.group(0)

    return MARKER.sub(marker, _text(text))


def answer_html(answer: Answer, turn: int) -> str:
    parts = []
    if answer.mode in MODE_LABELS:
        parts.append(
            f'<div class="notice notice-{answer.mode}"><strong>{MODE_LABELS[answer.mode]}.</strong> '
            f"{escape(answer.notice or '')}</div>"
        )
    if answer.disagreement:
        parts.append(
            f'<div class="notice notice-disagree"><strong>Sources disagree.</strong> '
            f"{escape(answer.disagreement)}</div>"
        )
    parts.append(f'<div class="answer-text">{_linked(answer.text, answer, turn)}</div>')
    if answer.mode == "generated" and answer.notice:
        parts.append(f'<div class="notice notice-generated">{escape(answer.notice)}</div>')
    if answer.citations:
        items = "".join(
            f"<li>{cite_link(f'{turn}-{c.number}', f'[{c.number}]', c.title)} {escape(c.title)}"
            f' <span class="meta">{escape(_where(c.source, c.date))}</span></li>'
            for c in answer.citations
        )
        parts.append(f'<ul class="cite-list">{items}</ul>')
    return "".join(parts)


def message_html(text: str, kind: str = "error") -> str:
    return f'<div class="notice notice-{kind}">{_text(text)}</div>'


def sources_html(answer: Answer, turn: int) -> str:
    """Every cited sentence with its support score, then every retrieved passage with its fused score and ranks."""
    parts = []
    if answer.standalone_question != answer.question:  # a follow-up, as rewritten with the conversation
        parts.append(f'<div class="meta" id="searched-for">Searched for: {escape(answer.standalone_question)}</div>')
    if answer.steps:  # a two-step answer: the chain, each step's question and checked answer with its markers
        items = "".join(f'<li class="step">{_linked(step, answer, turn)}</li>' for step in answer.steps)
        parts.append(f'<h4>Answered in steps</h4><ol class="steps">{items}</ol>')
    if answer.citations:
        items = "".join(
            f'<li class="cited-item" data-n="{c.number}">{cite_link(f"{turn}-{c.number}", f"[{c.number}]", c.title)} '
            f"<strong>{escape(c.title)}</strong> "
            f'<span class="meta">{escape(_where(c.source, c.date))}</span>'
            f'<q class="cited-text">{escape(c.text)}</q>'
            f'<span class="meta">support {c.support:.2f} ({escape(c.support_method)})</span></li>'
            for c in answer.citations
        )
        parts.append(f'<h4>Cited sentences</h4><ul class="cited-list">{items}</ul>')
    if answer.passages:
        items = "".join(
            f'<li class="passage">{cite_link(f"{turn}-p{i}", p.title or p.article_id)} '
            f'<span class="meta">{escape(_where(p.source, p.date))}</span>'
            f'<div class="meta">score {p.score:.4f} · dense rank {_rank(p.dense_rank)} · BM25 rank '
            f"{_rank(p.bm25_rank)}</div><div>{escape(_preview(p.text))}</div></li>"
            for i, p in enumerate(answer.passages)
        )
        parts.append(f'<h4>Retrieved passages</h4><ol class="passages">{items}</ol>')
    return "".join(parts) or '<div class="placeholder">Nothing was retrieved for this question.</div>'


def _rank(rank: int | None) -> str:
    return "–" if rank is None else str(rank)


def _preview(text: str) -> str:
    return text if len(text) <= PASSAGE_PREVIEW_CHARS else text[:PASSAGE_PREVIEW_CHARS].rsplit(" ", 1)[0] + " …"


def article_html(article: Mapping[str, Any], duplicates: Sequence[Mapping[str, Any]], cited: Citation | None) -> str:
    """The article as indexed (cleaned text), with the cited sentence, sliced by its offsets, inside <mark>."""
    text = article["text"]
    if cited is None:
        body = escape(text)
    else:
        body = (
            f"{escape(text[: cited.start])}"
            f'<mark id="cited-sentence" class="cited" data-sentence="{escape(cited.sentence_id)}">'
            f"{escape(text[cited.start : cited.end])}</mark>{escape(text[cited.end :])}"
        )
    meta = [escape(value) for value in (article["date"], article["source"], article["author"]) if value]
    url = article["url"] or ""
    if url.startswith(("http://", "https://")):
        meta.append(f'<a href="{escape(url)}" target="_blank" rel="noopener noreferrer">original page</a>')
    parts = [
        f'<article class="article-view" data-article="{escape(article["id"])}">',
        f'<h3 class="article-title">{escape(article["title"] or "(untitled)")}</h3>',
        f'<div class="meta">{" · ".join(meta) or "no date or source known"}</div>',
        f'<div class="meta locator">{escape(article["locator"])}</div>',
    ]
    if cited is not None:
        parts.append(f'<div class="meta">Citation [{cited.number}]: sentence {cited.sentence_index + 1}</div>')
    if duplicates:
        parts.append(_duplicates_html(duplicates))
    parts.append(f'<div class="article-body">{body}</div></article>')
    return "".join(parts)


def _duplicates_html(duplicates: Iterable[Mapping[str, Any]]) -> str:
    items = "".join(
        f"<li><strong>{escape(d['source'] or 'unknown source')}</strong> {escape(d['date'] or '')} — "
        f'{escape(d["title"] or "")} <span class="meta">({escape(d["kind"])} copy, similarity '
        f"{float(d['similarity'] or 0):.2f}; {escape(d['locator'])})</span></li>"
        for d in duplicates
    )
    return f'<details class="duplicates" open><summary>Also published by</summary><ul>{items}</ul></details>'


def header_html(model: str, articles: int, chunks: int, index_dir: str) -> str:
    index = f"{articles} articles, {chunks} passages in {escape(index_dir)}" if chunks else "the index is empty"
    return (
        '<div class="app-header"><h2>newsrag: ask the news articles</h2>'
        f'<div class="meta" id="model-info">Model: {escape(model)}</div>'
        f'<div class="meta" id="index-info">Index: {index}</div></div>'
    )


def ingest_report_html(report: Mapping[str, Any], messages: Sequence[str], failed: bool = False) -> str:
    """What an "Add articles" run did, with the loader's per-file skip reasons."""
    if failed:
        headline = "Nothing could be added: every file was skipped."
    elif report["up_to_date"]:
        headline = f"The index is already up to date ({report['articles']} articles)."
    else:
        headline = (
            f"Added: {report['records']} records from {report['files']} files → {report['articles']} articles "
            f"({report['exact_duplicates']} exact and {report['near_duplicates']} near duplicates merged), "
            f"{report['chunks']} passages; {report['embedded_chunks']} newly embedded."
        )
    parts = [f'<div class="notice notice-{"error" if failed else "ok"}">{escape(headline)}</div>']
    if report["skipped"]:
        items = "".join(
            f"<li><code>{escape(item['locator'])}</code>: {escape(item['reason'])}</li>" for item in report["skipped"]
        )
        parts.append(f'<div class="skipped"><strong>Skipped {len(report["skipped"])}:</strong><ul>{items}</ul></div>')
    parts.extend(f'<div class="meta">{escape(message)}</div>' for message in messages)
    return "".join(parts)
