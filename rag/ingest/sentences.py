"""Sentence splitting with character offsets (NLTK punkt, the model llama-index ships, plus two news fixes)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from functools import cache

from nltk.tokenize.punkt import PunktTokenizer

from rag.schema import CleanedArticle, Sentence

# A paragraph break ends a sentence unless the next paragraph visibly continues it (starts in lower case
# after a line without closing punctuation): scraped pages often break one sentence over two paragraphs.
_LINE_BREAK = re.compile(r"\n\s*")
_SENTENCE_END = re.compile(r"[.!?:;\"”’')\]]\s*$")
# Scrapers glue sentences together ("on a regular basis.Separately, the"): split there as well.
_GLUED = re.compile(r"(?<=[a-z]{2}[.!?])(?=[A-Z][a-z])")


@cache
def _punkt() -> PunktTokenizer:
    """NLTK's trained English punkt model (abbreviations such as U.N., Gen., Jan. included), from the copy of the
    NLTK data that llama-index ships. llama-index's own `globals_helper.punkt_tokenizer` is untrained and
    splits after every abbreviation."""
    from llama_index.core.utils import globals_helper

    globals_helper.wait_for_nltk_check()  # puts the bundled NLTK data on nltk's search path; no download
    return PunktTokenizer("english")


def split_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every sentence in text, whitespace trimmed, in order."""
    spans: list[tuple[int, int]] = []
    for block_start, block_end in _blocks(text):
        block = text[block_start:block_end]
        for start, end in _punkt().span_tokenize(block):
            cut = start
            for match in _GLUED.finditer(block, start, end):
                spans.append((block_start + cut, block_start + match.start()))
                cut = match.start()
            spans.append((block_start + cut, block_start + end))
    return [span for span in (_trim(text, start, end) for start, end in spans) if span[1] > span[0]]


def _blocks(text: str) -> list[tuple[int, int]]:
    blocks: list[tuple[int, int]] = []
    start = 0
    for match in _LINE_BREAK.finditer(text):
        before = text[start : match.start()]
        after = text[match.end() : match.end() + 1]
        continues = before.strip() and not _SENTENCE_END.search(before) and after.islower()
        if not continues:
            blocks.append((start, match.start()))
            start = match.end()
    blocks.append((start, len(text)))
    return [block for block in blocks if text[block[0] : block[1]].strip()]


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def sentence_id(article_id: str, text: str, occurrence: int) -> str:
    """Stable across re-ingest: depends on the article and the sentence's own text, not its position."""
    digest = hashlib.sha1(" ".join(text.split()).encode()).hexdigest()[:10]
    return f"{article_id}-{digest}" + (f"-{occurrence}" if occurrence else "")


def split_article(
    article: CleanedArticle, split: Callable[[str], list[tuple[int, int]]] = split_spans
) -> list[Sentence]:
    """The article's sentences with offsets into its cleaned text and into the original text (`split`: the
    sentence splitter, or the ingest's cache of it)."""
    sentences: list[Sentence] = []
    seen: dict[str, int] = {}
    for index, (start, end) in enumerate(split(article.text)):
        text = article.text[start:end]
        key = " ".join(text.split())
        occurrence = seen.get(key, 0)
        seen[key] = occurrence + 1
        orig_start, orig_end = article.to_original(start, end)
        sentences.append(
            Sentence(
                id=sentence_id(article.id, text, occurrence),
                article_id=article.id,
                index=index,
                text=text,
                start=start,
                end=end,
                orig_start=orig_start,
                orig_end=orig_end,
            )
        )
    return sentences
