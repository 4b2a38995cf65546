from pathlib import Path

from rag.config import Settings
from rag.ingest.clean import draft, finish, repeated_keys
from rag.ingest.load import load_file, load_path
from rag.schema import SourceRecord
from tests.conftest import DAMAGED_COPY, FAKES, FULL_COPY, SEEDS


def _clean(path: Path, keys: frozenset[str] = frozenset()):
    (record,) = list(load_file(path, Settings()))
    return finish(draft(record), set(keys))


def test_seed_site_boilerplate_is_removed_and_recorded():
    article = _clean(FULL_COPY)
    for gone in (
        "Note to readers",
        "PayPal",
        "Disclaimer",
        "Facebook page",
        "Copyright",
        "fair use",
        "For media inquiries",
        "Become a Member",
        "](#)",
        "Region:",
        "In-depth Report",
    ):
        assert gone not in article.text, gone
    reasons = {removal.reason for removal in article.removed}
    assert {"title", "byline", "dateline", "header", "boilerplate"} <= reasons
    removed_text = " ".join(removal.text for removal in article.removed)
    assert "Note to readers" in removed_text and "PayPal" in removed_text
    # The article itself is intact, first and last sentence included.
    assert article.text.startswith("On March 6, the Syrian Arab Army (SAA) delivered a massive rocket strike")
    assert article.text.endswith("terrorists are now surrendering to the US-backed force.")
    assert "At various different times during the war, Jaysh al-Izza was receiving supports" in article.text


def test_removals_point_at_the_original_text():
    article = _clean(FULL_COPY)
    for removal in article.removed:
        assert article.record.text[removal.start : removal.end] == removal.text


def test_dateline_headers_give_iso_dates_sources_and_titles():
    damaged = _clean(DAMAGED_COPY)
    assert damaged.date == "2019-03-08" and damaged.source == "People's Daily Online"
    assert not damaged.text.startswith("date")
    full = _clean(FULL_COPY)
    assert full.date == "2019-03-08"
    assert full.title == "Video: Syrian Army Delivers Massive Strike on Terrorist Infrastructure in Idlib Province"
    assert full.author == "South Front"
    posted = _clean(SEEDS / "003_96d08bed1395b8bd.txt")
    assert posted.date == "2020-06-26" and posted.author == "martyrashrakat"
    assert posted.text.startswith("ISIS announced a new series of attacks")


def test_leading_dateline_in_export_text_is_cut_and_title_repeat_dropped():
    record = SourceRecord(
        path="x.jsonl",
        locator="x.jsonl#line1",
        fmt="jsonl",
        title="Rockets hit Homs",
        text="Wed 05 Apr 2017 Rockets hit Homs. Two people were killed when rockets hit Homs on Wednesday.",
    )
    article = finish(draft(record), set())
    assert article.text == "Two people were killed when rockets hit Homs on Wednesday."
    assert article.date == "2017-04-05"  # from the dateline, as the export had no date column
    record_with_date = SourceRecord(**{**record.__dict__, "date": "April 6, 2017"})
    assert finish(draft(record_with_date), set()).date == "2017-04-06"  # an explicit column wins


def test_sentences_mentioning_social_networks_or_donations_in_news_are_kept():
    text = (
        "Facebook said it removed 300 accounts linked to the Syrian army. "
        "Saudi Arabia donated 100 million dollars to the relief effort. "
        "The copyright dispute was not discussed."
    )
    record = SourceRecord(path="a.txt", locator="a.txt", fmt="jsonl", text=text)
    assert finish(draft(record), set()).text == text


def test_lines_repeated_across_many_stories_are_boilerplate(tmp_path: Path):
    footer = "Stay with Example Daily for the newest reporting from the region every hour."
    stories = [
        "Rebels shelled the old city of Aleppo on Monday.",
        "Government jets struck a hospital in Idlib overnight.",
        "Kurdish forces captured a village east of Raqqa.",
        "A car bomb exploded in central Homs killing four.",
    ]
    for number, story in enumerate(stories):
        (tmp_path / f"{number}.txt").write_text(f"{story} More details followed later.\n\n{footer}\n", "utf-8")
    drafts = [draft(r) for r in load_path(tmp_path, Settings()) if isinstance(r, SourceRecord)]
    keys = repeated_keys(drafts, {d.id: d.id for d in drafts}, min_stories=3, fraction=0.01)
    articles = [finish(d, keys) for d in drafts]
    for article in articles:
        assert footer not in article.text
        assert any(r.reason == "repeated" and r.text == footer for r in article.removed)
    assert articles[0].text.startswith(stories[0])


def test_copies_of_one_story_do_not_vote_their_shared_text_into_boilerplate():
    sentence = "Members of a local militia prevented an infiltration attempt near Taraba."
    drafts = [
        draft(SourceRecord(path=f"{n}.txt", locator=f"{n}.txt", fmt="jsonl", text=f"{sentence} Copy {n} says so."))
        for n in range(4)
    ]
    same_story = {d.id: "story" for d in drafts}
    assert repeated_keys(drafts, same_story, min_stories=3, fraction=0.01) == set()


def test_fakes_trt_world_footer_is_removed_but_reporting_stays():
    records = [r for r in load_path(FAKES, Settings()) if isinstance(r, SourceRecord)]
    drafts = [draft(r) for r in records]
    keys = repeated_keys(drafts, {d.id: d.id for d in drafts}, min_stories=3, fraction=0.01)
    trt = [finish(d, keys) for d in drafts if d.record.source == "trt"]
    assert trt and all("Subscribe to our Youtube channel" not in a.text for a in trt)
    assert all(len(a.text) > 200 for a in trt)


def test_read_also_running_into_reporting_keeps_the_reporting():
    text = (
        "Jets struck Raqqa on Monday killing nine people. Read also September deadliest month for Syrians in 2017 "
        "Raqqa has faced water shortages for months because of the fighting. Read Also"
    )
    article = finish(draft(SourceRecord(path="a", locator="a", fmt="jsonl", text=text)), set())
    assert "water shortages" in article.text
    assert not article.text.endswith("Read Also")
