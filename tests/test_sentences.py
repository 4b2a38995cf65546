from pathlib import Path

from rag.config import Settings
from rag.ingest.clean import draft, finish
from rag.ingest.load import load_file, load_path
from rag.ingest.sentences import split_article, split_spans
from rag.schema import SourceRecord
from tests.conftest import DAMAGED_COPY, SEEDS


def _articles():
    return [finish(draft(r), set()) for r in load_path(SEEDS, Settings()) if isinstance(r, SourceRecord)]


def test_offsets_slice_back_to_the_exact_sentence_in_cleaned_and_original_text():
    checked = 0
    for article in _articles():
        markup = [r for r in article.removed if r.reason == "markup"]
        for sentence in split_article(article):
            assert article.text[sentence.start : sentence.end] == sentence.text
            if not any(sentence.orig_start <= r.start < sentence.orig_end for r in markup):
                assert article.record.text[sentence.orig_start : sentence.orig_end] == sentence.text
                checked += 1
    assert checked > 90


def test_offsets_point_into_the_original_file_bytes():
    for article in _articles():
        raw = Path(article.record.path).read_bytes()
        for sentence in split_article(article)[:5]:
            byte_start = len(article.record.text[: sentence.orig_start].encode("utf-8"))
            assert raw[byte_start:].startswith(sentence.text.encode("utf-8"))


def test_known_evidence_sentence_is_one_sentence():
    article = next(a for a in _articles() if a.record.path.endswith("004_95a5f299d1f6f661.txt"))
    texts = [s.text for s in split_article(article)]
    assert "Four police officers were killed and nine others were injured." in texts


def test_glued_sentences_from_scrapers_are_split():
    (record,) = list(load_file(DAMAGED_COPY, Settings()))
    texts = [s.text for s in split_article(finish(draft(record), set()))]
    assert "Separately, thenear the town of Khan Shaykhun in southern Idlib." in texts


def test_sentence_broken_over_two_paragraphs_stays_whole():
    text = "Despite this public move, the group appears\n\nto be unable to stop the cells. Next sentence here."
    spans = [text[s:e] for s, e in split_spans(text)]
    assert spans == [
        "Despite this public move, the group appears\n\nto be unable to stop the cells.",
        "Next sentence here.",
    ]


def test_sentence_ids_are_stable_and_positional_changes_do_not_move_them():
    text = "Rockets hit Homs. Two people died. Rockets hit Homs."
    base = finish(draft(SourceRecord(path="a", locator="a", fmt="jsonl", text=text)), set())
    first = split_article(base)
    again = split_article(finish(draft(SourceRecord(path="a", locator="a", fmt="jsonl", text=text)), set()))
    assert [s.id for s in first] == [s.id for s in again]
    assert len({s.id for s in first}) == 3  # a repeated sentence gets its own id


def test_abbreviations_do_not_end_sentences():
    text = "The U.N. Security Council met on Jan. 5 in New York. Gen. Ali said the U.S. would leave."
    assert [text[s:e] for s, e in split_spans(text)] == [
        "The U.N. Security Council met on Jan. 5 in New York.",
        "Gen. Ali said the U.S. would leave.",
    ]
