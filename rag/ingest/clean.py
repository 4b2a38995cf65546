"""Remove site boilerplate and header lines, keeping a record of every removal and a map back to the original.

Two passes. `draft` applies per-article rules: dateline/byline/label header lines, lines and sentences that
match generic web-boilerplate cues (reader notes, donation and share text, disclaimers, copyright footers),
separators and markdown link debris. `finish` then removes what the corpus itself shows to be boilerplate:
sentences or lines repeated across many distinct stories (counted once per near-duplicate cluster).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from rag.ingest.dates import LEADING_DATELINE, find_date, parse_date
from rag.ingest.sentences import split_spans
from rag.schema import CleanedArticle, Removal, SourceRecord

HEADER_LINES = 12  # header rules only look at the first lines of a file
_WORD = re.compile(r"\w+")
_LINE = re.compile(r"[^\n]+")

# Generic web boilerplate, matched against one line or sentence at a time.
BOILERPLATE_CUES = [
    re.compile(pattern, re.IGNORECASE)
    for pattern in [
        r"^note to readers\b",
        r"\bclick the share buttons?\b|\bshare (?:this|on) (?:article|facebook|twitter)\b",
        r"\bforward this article\b|\bcrosspost\b",
        r"\bpaypal\b|\bpatreon\b|/donate\b|\bplease (?:support|donate)\b|\bsupport (?:the project|our work)\b",
        r"^disclaimer\b",
        r"^copyright\b|^©|\ball rights reserved\b|\bcopyrighted material\b|\bfair use\b",
        r"^(?:\[)?comment on .{0,80}\b(?:facebook|twitter)\b",
        r"^(?:\[)?become a (?:member|patron|subscriber)\b",
        r"^articles? by\s*:",
        r"^for media inquiries\b",
        r"^the original source of this article\b",
        r"\b(?:subscribe|sign up) (?:to|for|on) (?:our|the|trt|\w+ world)\b.{0,40}\b(?:newsletter|channel|youtube)\b",
        r"^follow us (?:on|at)\b|^follow \w+ on\b",
        # Only short ones: in flattened exports "Read also <headline>" can run into the next real sentence.
        r"^(?:read also|read more|related (?:news|articles?|stories)|recommended)\b.{0,100}$",
        r"^\(?source\s*:",
        r"\bwatch live\b.{0,80}\bschedule\b",
        r"^(?:if you (?:enjoyed|like|liked) (?:this|our))\b",
    ]
]
_LABEL_LINE = re.compile(
    r"^\s*(?:region|theme|in-depth report|tags?|categor(?:y|ies)|filed under|topics?|keywords?)\s*:", re.I
)
_BYLINE = re.compile(r"^\s*(?:by|posted (?:on )?by|written by|author:)\s+(?P<name>.{2,80}?)\s*$", re.I)
_POSTED_BY = re.compile(r"\bposted on\s+(?:.*?\s)?by\s+(?P<name>[\w .'-]{2,60})\s*$", re.I)
_COPYRIGHT_OWNER = re.compile(r"©\s*(?:\d{4}\s*)?(?P<name>[^©\n]{2,60}?)\s*$")
_ORIGINAL_SOURCE = re.compile(r"^the original source of this article is\s+(?P<name>.{2,80}?)\.?\s*$", re.I)
_PUBLISHER_DATELINE = re.compile(r"^\s*(?P<name>[A-Z][\w .'&-]{1,60}?),\s+\w+\s+\d{1,2},\s+\d{4}\s*$")
_SEPARATOR = re.compile(r"^[\s*#=_~•·—–-]+$")
_MARKDOWN_LINK = re.compile(r"!?\[(?P<label>[^\]\n]{0,300})\]\((?P<target>[^)\s]*)\)")
_ANGLE_URL = re.compile(r"<(?:https?://|mailto:)[^>\s]+>")
_TITLE_MAX_WORDS = 30


@dataclass
class Unit:
    """A sentence or header line of the original text and, if removed, why."""

    start: int
    end: int
    text: str
    reason: str | None = None

    @cached_property
    def key(self) -> str:
        """Normalised text used to spot the same boilerplate across articles."""
        return normalise(_MARKDOWN_LINK.sub(r"\g<label>", self.text))


@dataclass
class Draft:
    """An article after the per-article rules, before corpus-level repetition is known."""

    id: str
    record: SourceRecord
    units: list[Unit]
    inline: list[Removal]
    title: str | None
    date: str | None
    source: str | None
    author: str | None

    def kept_text(self) -> str:
        return " ".join(unit.text for unit in self.units if unit.reason is None)


def normalise(text: str) -> str:
    """Lower-cased words only: the form in which two texts count as "the same"."""
    return " ".join(_WORD.findall(text.lower()))


def article_id(text: str) -> str:
    """Content hash of the original article text: the same text always gets the same id."""
    return hashlib.sha256(text.rstrip().encode("utf-8")).hexdigest()[:16]


def draft(record: SourceRecord) -> Draft:
    """Apply the per-article rules to one record."""
    text = record.text
    units = [Unit(start, end, text[start:end]) for start, end in split_spans(text)]
    found: dict[str, str] = {}
    _mark_header(units, record, found)
    for unit in units:
        if unit.reason is not None:
            continue
        if _SEPARATOR.match(unit.text):
            unit.reason = "separator"
        elif any(cue.search(unit.text) for cue in BOILERPLATE_CUES):
            unit.reason = "boilerplate"
            _remember_source_lines(unit.text, found)
    # A paragraph that opens with boilerplate ("Disclaimer: ...") or is mostly boilerplate is boilerplate whole.
    for paragraph in _paragraphs(text, units):
        flagged = sum(unit.reason == "boilerplate" for unit in paragraph)
        if paragraph[0].reason == "boilerplate" or (len(paragraph) > 1 and 2 * flagged >= len(paragraph)):
            for unit in paragraph:
                unit.reason = unit.reason or "boilerplate"
    inline = [removal for unit in units if unit.reason is None for removal in _inline_debris(unit)]
    _strip_leading_dateline(units, inline, found)
    _mark_repeated_title(units, record.title or found.get("title"))
    return Draft(
        id=article_id(text),
        record=record,
        units=units,
        inline=inline,
        title=record.title or found.get("title"),
        date=parse_date(record.date) or found.get("date"),
        source=record.source or found.get("source"),
        author=record.author or found.get("author"),
    )


def repeated_keys(drafts: Iterable[Draft], groups: dict[str, str], min_stories: int, fraction: float) -> set[str]:
    """Unit texts that occur in enough distinct stories (one vote per duplicate group) to be boilerplate."""
    votes: dict[str, set[str]] = {}
    story_count = len(set(groups.values()))
    for item in drafts:
        group = groups[item.id]
        for unit in item.units:
            key = unit.key
            if unit.reason is None and len(key.split()) >= 4 and len(key) >= 20:
                votes.setdefault(key, set()).add(group)
    threshold = max(min_stories, math.ceil(fraction * story_count))
    return {key for key, stories in votes.items() if len(stories) >= threshold}


def finish(item: Draft, boilerplate_keys: set[str]) -> CleanedArticle:
    """Remove the corpus-level repeats and build the cleaned text with its map back to the original."""
    for unit in item.units:
        if unit.reason is None and unit.key in boilerplate_keys:
            unit.reason = "repeated"
    original = item.record.text
    inline_by_unit = sorted(item.inline, key=lambda removal: removal.start)
    pieces: list[tuple[int, int, int]] = []
    parts: list[str] = []
    length = 0
    previous_end: int | None = None
    for unit in item.units:
        if unit.reason is not None:
            continue
        if previous_end is not None:
            separator = "\n\n" if "\n" in original[previous_end : unit.start] else " "
            parts.append(separator)
            length += len(separator)
        for start, end in _subtract(unit.start, unit.end, inline_by_unit):
            pieces.append((length, start, end - start))
            parts.append(original[start:end])
            length += end - start
        previous_end = unit.end
    text = "".join(parts)
    removed = sorted(
        [Removal(u.start, u.end, u.text, u.reason) for u in item.units if u.reason is not None]
        + [removal for removal in item.inline if _inside_kept(removal, item.units)],
        key=lambda removal: removal.start,
    )
    title = item.title or _fallback_title(text)
    return CleanedArticle(
        id=item.id,
        record=item.record,
        text=text,
        title=title,
        date=item.date,
        source=item.source,
        author=item.author,
        url=item.record.url,
        removed=removed,
        pieces=pieces or [(0, 0, 0)],
    )


def _mark_header(units: list[Unit], record: SourceRecord, found: dict[str, str]) -> None:
    """Datelines, bylines, label lines and a title line at the top of a file are metadata, not text."""
    if record.fmt not in {"txt", "md", "markdown"}:
        return
    lines = [match for match in _LINE.finditer(record.text) if match.group(0).strip()][:HEADER_LINES]
    for position, match in enumerate(lines):
        line = _MARKDOWN_LINK.sub(r"\g<label>", match.group(0)).strip()
        words = len(line.split())
        dated = find_date(line)
        reason = None
        if dated and words <= 12:
            reason = "dateline"
            found.setdefault("date", dated[0])
            _remember_source_lines(line, found)
            if publisher := _PUBLISHER_DATELINE.match(line):
                found.setdefault("source", publisher.group("name").strip())
        elif _LABEL_LINE.match(line) or line.lower() in {"source", "sources"}:
            reason = "header"
        elif (byline := _BYLINE.match(line)) and words <= 10:
            reason = "byline"
            found.setdefault("author", byline.group("name").strip())
        elif position == 0 and words <= _TITLE_MAX_WORDS and not line.endswith((".", '."', ".”")):
            reason = "title"
            found.setdefault("title", line.lstrip("# ").strip())
        elif words > 12:
            return
        for unit in units:
            if match.start() <= unit.start and unit.end <= match.end():
                unit.reason = reason


def _remember_source_lines(line: str, found: dict[str, str]) -> None:
    plain = _MARKDOWN_LINK.sub(r"\g<label>", line).strip()
    if match := _ORIGINAL_SOURCE.match(plain):
        found.setdefault("source", match.group("name"))
    if match := _COPYRIGHT_OWNER.search(plain):
        found.setdefault("source", match.group("name").strip(" ,."))
    if match := _POSTED_BY.search(plain):
        found.setdefault("author", match.group("name").strip())


def _strip_leading_dateline(units: list[Unit], inline: list[Removal], found: dict[str, str]) -> None:
    """'Wed 05 Apr 2017 Syria attack ...': a dateline glued to the first sentence is cut off it."""
    first = next((unit for unit in units if unit.reason is None), None)
    if first is None:
        return
    match = LEADING_DATELINE.match(first.text)
    if match and match.end() < len(first.text):
        inline.append(Removal(first.start, first.start + match.end(), match.group(0), "dateline"))
        dated = find_date(match.group(0))
        if dated:
            found.setdefault("date", dated[0])


def _mark_repeated_title(units: list[Unit], title: str | None) -> None:
    """Exports often repeat the headline (after a dateline) as the first sentence; it is already the title."""
    if not title:
        return
    first = next((unit for unit in units if unit.reason is None), None)
    if first is None:
        return
    dateline = LEADING_DATELINE.match(first.text)
    body = first.text[dateline.end() :] if dateline else first.text
    if normalise(body) == normalise(title):
        first.reason = "title"


def _paragraphs(text: str, units: list[Unit]) -> list[list[Unit]]:
    """Units grouped by paragraph: consecutive units with no line break between them."""
    paragraphs: list[list[Unit]] = []
    for unit in units:
        if paragraphs and "\n" not in text[paragraphs[-1][-1].end : unit.start]:
            paragraphs[-1].append(unit)
        else:
            paragraphs.append([unit])
    return paragraphs


def _inline_debris(unit: Unit) -> list[Removal]:
    """Markdown link syntax and bracketed URLs inside a kept sentence: the label text stays."""
    removals = []
    for match in _MARKDOWN_LINK.finditer(unit.text):
        label_start, label_end = match.span("label")
        if match.group(0).startswith("!") or not match.group("label").strip():
            removals.append(Removal(unit.start + match.start(), unit.start + match.end(), match.group(0), "markup"))
            continue
        for start, end in ((match.start(), label_start), (label_end, match.end())):
            removals.append(Removal(unit.start + start, unit.start + end, unit.text[start:end], "markup"))
    for match in _ANGLE_URL.finditer(unit.text):
        removals.append(Removal(unit.start + match.start(), unit.start + match.end(), match.group(0), "markup"))
    return removals


def _subtract(start: int, end: int, removals: list[Removal]) -> list[tuple[int, int]]:
    spans = []
    cursor = start
    for removal in removals:
        if removal.end <= cursor or removal.start >= end:
            continue
        if removal.start > cursor:
            spans.append((cursor, removal.start))
        cursor = max(cursor, removal.end)
    if cursor < end:
        spans.append((cursor, end))
    return spans


def _inside_kept(removal: Removal, units: list[Unit]) -> bool:
    return any(u.reason is None and u.start <= removal.start and removal.end <= u.end for u in units)


def _fallback_title(text: str) -> str:
    """Without a headline, the first sentence (shortened) names the article."""
    spans = split_spans(text)
    first = text[spans[0][0] : spans[0][1]] if spans else text
    return first if len(first) <= 120 else first[:117].rsplit(" ", 1)[0] + "..."
