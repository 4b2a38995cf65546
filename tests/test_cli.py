"""The `rag` command as a user runs it."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

RAG = str(Path(sys.executable).parent / "rag")


def _rag(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([RAG, *args], capture_output=True, text=True, timeout=600)


def test_missing_folder_is_a_clear_error_without_traceback(tmp_path: Path):
    result = _rag("ingest", str(tmp_path / "nowhere"), "--index", str(tmp_path / "index"))
    assert result.returncode == 2
    assert "does not exist" in result.stderr and "Traceback" not in result.stderr


def test_ask_with_a_malformed_date_is_a_clear_error_without_traceback(tmp_path: Path):
    result = _rag("ask", "Who was Alaa al-Omar?", "--from", "March 2019", "--no-llm", "--index", str(tmp_path))
    assert result.returncode == 2
    assert "“March 2019” is not a date: write it as YYYY-MM-DD" in result.stderr and "Traceback" not in result.stderr


def test_folder_of_only_bad_files_exits_non_zero_and_says_why(tmp_path: Path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "empty.txt").write_text("")
    (tmp_path / "in" / "latin.txt").write_bytes("Caf\xe9".encode("latin-1"))
    result = _rag("ingest", str(tmp_path / "in"), "--index", str(tmp_path / "index"), "--no-progress")
    assert result.returncode == 1
    assert "empty.txt: empty file" in result.stdout and "latin.txt: not UTF-8" in result.stdout
    assert "nothing could be ingested" in result.stderr
    listed = _rag("sources", "--index", str(tmp_path / "index"))
    assert listed.returncode == 0 and not listed.stdout.strip()  # a source with nothing usable is not kept


@pytest.mark.slow
def test_ingest_stats_and_show(seed_copy: Path, tmp_path: Path):
    index = str(tmp_path / "index")
    (seed_copy / "notes.bin").write_bytes(b"\x00\x01")
    first = _rag("ingest", str(seed_copy), "--index", index, "--no-progress")
    assert first.returncode == 0, first.stderr
    assert "5 records from 6 files -> 4 articles (0 exact and 1 near duplicates merged)" in first.stdout
    assert "notes.bin: unsupported file type .bin" in first.stdout
    again = _rag("ingest", "--index", index)
    assert "index is up to date" in again.stdout

    stats = json.loads(_rag("stats", "--index", index, "--json").stdout)
    assert stats["articles"] == 4 and stats["near_duplicates"] == 1 and stats["vectors"] == stats["chunks"]

    shown = _rag("show", str(seed_copy / "000_52adbdfa8497fdcb.txt"), "--index", index)
    assert shown.returncode == 0
    assert "Video: Syrian Army Delivers Massive Strike" in shown.stdout  # the damaged copy resolves to the story
    assert "also: People's Daily Online 2019-03-08" in shown.stdout
    assert "[removed boilerplate" in shown.stdout and "Note to readers" in shown.stdout


def test_stats_without_an_index_is_a_clear_error(tmp_path: Path):
    result = _rag("stats", "--index", str(tmp_path / "none"))
    assert result.returncode == 2 and "run `rag ingest PATH` first" in result.stderr


def test_ui_refuses_to_serve_the_network_without_a_login(tmp_path: Path):
    result = _rag("ui", "--host", "0.0.0.0", "--index", str(tmp_path / "index"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "refusing to serve on 0.0.0.0 without a login" in result.stderr
    assert not (tmp_path / "index").exists()  # refused before anything was built or started


def test_sources_are_listed_and_removed_with_their_vectors_and_stored_uploads(seed_copy: Path, tmp_path: Path):
    from rag.config import Settings
    from rag.ingest.pipeline import ingest
    from rag.store import IndexStore

    settings = Settings(index_dir=tmp_path / "index")
    upload = settings.index_dir / "uploads" / "20261125-120000"
    upload.mkdir(parents=True)
    flood = "Flood in Valparaiso\n\nA flood in the town of Valparaiso destroyed twelve bridges on Monday.\n"
    (upload / "flood.txt").write_text(flood, encoding="utf-8")
    ingest([seed_copy, upload], settings, progress=False)
    listed = _rag("sources", "--index", str(settings.index_dir))
    assert listed.returncode == 0
    assert f"      4  {seed_copy.resolve()}" in listed.stdout and f"      1  {upload.resolve()}" in listed.stdout

    removed = _rag("remove", str(upload.resolve()), "--index", str(settings.index_dir))
    assert removed.returncode == 0 and "removed 1 article(s); 4 remain" in removed.stdout
    assert not upload.exists()  # an upload batch's stored files go with it
    store = IndexStore(settings, create=False)
    assert store.sources() == [(str(seed_copy.resolve()), 4)]
    assert store.chunk_ids() == store.vector_ids()  # its vectors are gone, the others kept
    assert not [r for r in store.db.execute("SELECT id FROM sentences WHERE text LIKE '%Valparaiso%'")]
    store.close()

    unknown = _rag("remove", "/etc", "--index", str(settings.index_dir))
    assert unknown.returncode == 2 and "not a source of this index: /etc" in unknown.stderr
    last = _rag("remove", str(seed_copy.resolve()), "--index", str(settings.index_dir))
    assert last.returncode == 0 and "removed 4 article(s); 0 remain" in last.stdout
    assert (seed_copy / "002_6cc88a11ee1da504.txt").exists()  # a folder source leaves the index, not the disk
