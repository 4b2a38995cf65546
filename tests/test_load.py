from pathlib import Path

import pytest

from rag.config import Settings
from rag.ingest.load import InputError, inside_allowed, list_input_files, load_path
from rag.schema import SkippedRecord, SourceRecord
from tests.conftest import SEEDS


def _split(items):
    records = [item for item in items if isinstance(item, SourceRecord)]
    skipped = {Path(item.locator).name: item.reason for item in items if isinstance(item, SkippedRecord)}
    return records, skipped


def test_seed_folder_loads_every_file_with_original_text():
    records, skipped = _split(list(load_path(SEEDS, Settings())))
    assert skipped == {}
    assert len(records) == 5
    for record in records:
        assert record.text == Path(record.path).read_text(encoding="utf-8")
        assert record.fmt == "txt"


def test_bad_files_are_skipped_with_a_reason_and_good_ones_still_load(tmp_path: Path):
    (tmp_path / "good.txt").write_text("Five civilians were killed in Afrin on March 18.\n", encoding="utf-8")
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    (tmp_path / "blank.md").write_text("  \n\n ", encoding="utf-8")
    (tmp_path / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR")
    (tmp_path / "latin1.txt").write_bytes("Caf\xe9 bombed in Homs".encode("latin-1"))
    (tmp_path / "huge.txt").write_text("word " * 400_000, encoding="utf-8")
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    records, skipped = _split(list(load_path(tmp_path, Settings(max_file_mb=1))))
    assert [Path(r.path).name for r in records] == ["good.txt"]
    assert skipped["empty.txt"] == "empty file"
    assert skipped["blank.md"] == "empty file"
    assert "binary" in skipped["binary.txt"]
    assert "not UTF-8" in skipped["latin1.txt"] and "offset 3" in skipped["latin1.txt"]
    assert "too large" in skipped["huge.txt"]
    assert skipped["image.png"] == "unsupported file type .png"


def test_utf8_bom_and_utf16_files_are_decoded(tmp_path: Path):
    (tmp_path / "bom.txt").write_bytes("\ufeffArmy shelled Idlib.".encode())
    (tmp_path / "wide.txt").write_bytes("Army shelled Hama.".encode("utf-16"))
    records, skipped = _split(list(load_path(tmp_path, Settings())))
    assert skipped == {}
    assert sorted(r.text for r in records) == ["Army shelled Hama.", "Army shelled Idlib."]


def test_missing_folder_is_a_clear_error(tmp_path: Path):
    with pytest.raises(InputError, match="does not exist"):
        list(load_path(tmp_path / "nowhere", Settings()))


def test_jsonl_export_maps_columns_and_reports_bad_lines(tmp_path: Path):
    export = tmp_path / "export.jsonl"
    export.write_text(
        '{"id": "1", "title": "Strike", "text": "Jets struck Raqqa.", "source": "nna", "date": "2017-04-05"}\n'
        "not json\n"
        '{"id": "2", "title": "Nothing"}\n'
        '{"headline": "Other", "body": "Rebels shelled Aleppo.", "publisher": "sana", "link": "http://x"}\n',
        encoding="utf-8",
    )
    records, skipped = _split(list(load_path(export, Settings())))
    assert [(r.title, r.text, r.source, r.date) for r in records] == [
        ("Strike", "Jets struck Raqqa.", "nna", "2017-04-05"),
        ("Other", "Rebels shelled Aleppo.", "sana", None),
    ]
    assert records[1].url == "http://x"
    assert records[0].locator.endswith("export.jsonl#line1")
    assert "invalid JSON" in skipped["export.jsonl#line2"]
    assert "no text column" in skipped["export.jsonl#line3"]


def test_csv_export_with_custom_column_mapping(tmp_path: Path):
    export = tmp_path / "export.csv"
    export.write_text('story,when,outlet\n"Army, police clashed in Daraa.",2019-05-02,SANA\n', encoding="utf-8")
    settings = Settings()
    settings.columns.text = ["story"]
    settings.columns.date = ["when"]
    settings.columns.source = ["outlet"]
    records, skipped = _split(list(load_path(export, settings)))
    assert skipped == {}
    assert [(r.text, r.date, r.source, r.locator.rsplit("#", 1)[1]) for r in records] == [
        ("Army, police clashed in Daraa.", "2019-05-02", "SANA", "row2")
    ]


def test_fakes_export_loads_all_804_rows():
    from tests.conftest import FAKES

    records, skipped = _split(list(load_path(FAKES, Settings())))
    assert len(records) == 804 and skipped == {}
    assert {r.source for r in records} >= {"reuters", "sana", "ahram"}


def test_html_goes_through_trafilatura(tmp_path: Path):
    page = tmp_path / "story.html"
    body = " ".join(["Government forces repelled an attack near al-Sukhna on Tuesday, officials said."] * 6)
    page.write_text(
        "<html><head><title>Attack repelled</title><meta name='author' content='Jane Doe'></head><body>"
        "<nav>Home | World | Donate</nav>"
        f"<article><h1>Attack repelled</h1><p>{body}</p><p>Two soldiers were wounded in the clashes.</p></article>"
        "<footer>Copyright 2020 Example News</footer></body></html>",
        encoding="utf-8",
    )
    records, skipped = _split(list(load_path(tmp_path, Settings())))
    assert skipped == {}
    (record,) = records
    assert record.fmt == "html" and record.title == "Attack repelled"
    assert "Two soldiers were wounded" in record.text
    assert "Home | World" not in record.text


def test_a_symlink_inside_an_ingested_folder_does_not_lead_out_of_it(tmp_path: Path):
    outside = tmp_path / "secret.txt"
    outside.write_text("A private note that is not an article.", encoding="utf-8")
    root = tmp_path / "articles"
    root.mkdir()
    (root / "story.txt").write_text("A story.", encoding="utf-8")
    (root / "link.txt").symlink_to(outside)
    (root / "inner").mkdir()
    (root / "inner" / "alias.txt").symlink_to(root / "story.txt")  # inside: still read
    assert list_input_files(root) == [root / "inner" / "alias.txt", root / "story.txt"]


def test_server_paths_are_read_only_inside_the_allowed_folders(tmp_path: Path):
    allowed = tmp_path / "news"
    (allowed / "2020").mkdir(parents=True)
    (allowed / "escape").symlink_to(tmp_path)
    assert inside_allowed(str(allowed / "2020"), [allowed]) == (allowed / "2020").resolve()
    for hostile in ("/etc", "~", str(allowed / ".." / ".."), str(allowed / "escape"), "../../etc/passwd"):
        with pytest.raises(InputError, match="is not inside the folders this app may read from") as refused:
            inside_allowed(hostile, [allowed])
        assert str(tmp_path) not in str(refused.value).replace(hostile, "")  # names only what was typed
    with pytest.raises(InputError):
        inside_allowed(str(allowed / "2020"), [])
