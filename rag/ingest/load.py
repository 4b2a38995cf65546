"""Load articles from a folder of .txt/.md/.html files or from JSONL/CSV exports, reporting what is skipped."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from rag.config import Settings
from rag.schema import SkippedRecord, SourceRecord

TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
EXPORT_SUFFIXES = {".jsonl", ".csv"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | EXPORT_SUFFIXES


class InputError(Exception):
    """The input path itself is unusable (missing, unreadable); nothing can be loaded from it."""


@dataclass(frozen=True)
class FileStamp:
    """What identifies a file's version cheaply, for the "nothing changed" fast path."""

    path: str
    size: int
    mtime_ns: int


def list_input_files(root: Path) -> list[Path]:
    """Every file under root (or root itself), sorted, hidden files and folders excluded, and files whose real path
    is outside the root (a symlink inside an ingested folder is not a way out of it)."""
    if not root.exists():
        raise InputError(f"{root} does not exist")
    if root.is_file():
        return [root]
    if not root.is_dir():
        raise InputError(f"{root} is neither a file nor a folder")
    real_root = root.resolve()
    return sorted(
        path
        for path in root.rglob("*")
        if path.is_file()
        and not any(part.startswith(".") for part in path.relative_to(root).parts)
        and path.resolve().is_relative_to(real_root)
    )


def inside_allowed(named: str, allowed: list[Path]) -> Path:
    """The real path of a user-named server path, if it lies inside one of the allowed folders (after `~`, `..`
    and symlinks are resolved). The error names only what the user typed, and says nothing of whether a path
    outside the allowed folders exists."""
    path = Path(named).expanduser().resolve()
    if not any(path.is_relative_to(Path(root).expanduser().resolve()) for root in allowed):
        raise InputError(f"“{named}” is not inside the folders this app may read from")
    return path


def stamp(path: Path) -> FileStamp:
    info = path.stat()
    return FileStamp(str(path), info.st_size, info.st_mtime_ns)


def load_path(root: Path, settings: Settings) -> Iterator[SourceRecord | SkippedRecord]:
    """Yield every article under root, or a SkippedRecord saying why a file or row was not usable."""
    for path in list_input_files(root):
        yield from load_file(path, settings)


def load_file(path: Path, settings: Settings) -> Iterator[SourceRecord | SkippedRecord]:
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        yield SkippedRecord(str(path), f"unsupported file type {suffix or '(none)'}")
        return
    limit_mb = settings.max_export_mb if suffix in EXPORT_SUFFIXES else settings.max_file_mb
    size = path.stat().st_size
    if size > limit_mb * 1024 * 1024:
        yield SkippedRecord(str(path), f"too large ({size / 1024 / 1024:.1f} MB > {limit_mb:g} MB limit)")
        return
    try:
        text = decode(path.read_bytes())
    except (UnicodeDecodeError, ValueError) as error:
        yield SkippedRecord(str(path), str(error))
        return
    except OSError as error:
        yield SkippedRecord(str(path), f"cannot read: {error.strerror or error}")
        return
    if not text.strip():
        yield SkippedRecord(str(path), "empty file")
        return
    if suffix in EXPORT_SUFFIXES:
        yield from _load_export(path, text, suffix, settings)
    elif suffix in HTML_SUFFIXES:
        yield _load_html(path, text, settings)
    else:
        yield _checked(SourceRecord(path=str(path), locator=str(path), text=text, fmt=suffix.lstrip(".")), settings)


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM) or BOM-marked UTF-16; anything else is refused with the offending offset."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16")
    if b"\x00" in data[:8192]:
        raise ValueError("binary file (contains NUL bytes)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValueError(
            f"not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start}); convert it to UTF-8"
        ) from None


def _checked(record: SourceRecord, settings: Settings) -> SourceRecord | SkippedRecord:
    if not record.text.strip():
        return SkippedRecord(record.locator, "no article text")
    if len(record.text) > settings.max_article_chars:
        return SkippedRecord(
            record.locator, f"article too long ({len(record.text):,} > {settings.max_article_chars:,} characters)"
        )
    return record


def _load_html(path: Path, html: str, settings: Settings) -> SourceRecord | SkippedRecord:
    import trafilatura

    document = trafilatura.bare_extraction(html, with_metadata=True, include_comments=False)
    if document is None or not (document.text or "").strip():
        return SkippedRecord(str(path), "no article text found in the HTML page")
    return _checked(
        SourceRecord(
            path=str(path),
            locator=str(path),
            text=document.text,
            fmt="html",
            title=document.title,
            date=document.date,
            source=document.sitename,
            author=document.author,
            url=document.url,
        ),
        settings,
    )


def _load_export(path: Path, text: str, suffix: str, settings: Settings) -> Iterator[SourceRecord | SkippedRecord]:
    mapping = settings.columns
    if suffix == ".csv":
        csv.field_size_limit(sys.maxsize)
        rows: Iterator[tuple[str, dict | None, str | None]] = (
            (f"{path}#row{number}", row, None)
            for number, row in enumerate(csv.DictReader(text.splitlines(keepends=True)), start=2)
        )
    else:
        rows = _jsonl_rows(path, text)
    text_column_seen = False
    for locator, row, problem in rows:
        if row is None:
            yield SkippedRecord(locator, problem or "unreadable row")
            continue
        body = _pick(row, mapping.text, strip=False)
        if body is None:
            yield SkippedRecord(locator, f"no text column (looked for {', '.join(mapping.text)})")
            continue
        text_column_seen = True
        yield _checked(
            SourceRecord(
                path=str(path),
                locator=locator,
                text=body,
                fmt=suffix.lstrip("."),
                title=_pick(row, mapping.title),
                date=_pick(row, mapping.date),
                source=_pick(row, mapping.source),
                author=_pick(row, mapping.author),
                url=_pick(row, mapping.url),
            ),
            settings,
        )
    if not text_column_seen:
        yield SkippedRecord(str(path), "no row had a text column; set `columns.text` in the config")


def _jsonl_rows(path: Path, text: str) -> Iterator[tuple[str, dict | None, str | None]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        locator = f"{path}#line{number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            yield locator, None, f"invalid JSON: {error.msg}"
            continue
        if not isinstance(row, dict):
            yield locator, None, "JSON line is not an object"
            continue
        yield locator, row, None


def _pick(row: dict, names: list[str], strip: bool = True) -> str | None:
    """The first non-empty value among the candidate column names (case-insensitive).

    The article text is kept exactly as exported (strip=False): citation offsets point into it.
    """
    lowered = {str(key).lower(): value for key, value in row.items()}
    for name in names:
        value = lowered.get(name.lower())
        if value is None:
            continue
        if isinstance(value, list):
            value = ", ".join(str(item) for item in value)
        value = str(value)
        if value.strip():
            return value.strip() if strip else value
    return None
