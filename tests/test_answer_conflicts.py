"""Conflicting tolls: an answer that gives one source's figure for an event that other sources count differently
quotes those too, each with who gives it and its own citation, and is marked "sources disagree". Unit tests of the
rules, and the whole path on a small index with a scripted model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.answer import check
from rag.assistant import Assistant
from rag.config import Settings
from rag.retrieve import Filters
from tests.test_answer import _ScriptedModel, ungated_index

EUPHRATES = (
    "How many civilians were killed when Russian jets hit people crossing the Euphrates River in Deir Ezzor province "
    "on Wednesday?"
)


def test_a_toll_is_read_strictly_as_the_count_of_the_asked_outcome():
    question = "How many people were killed in the air strikes on Raqqa?"
    assert check.tolls(question, "A militant website said 10 people were killed in Raqqa.") == ["10"]
    # a number beside the toll is no toll ("including 13 civilians"), nor is a count of the wounded
    assert check.tolls(question, "At least 20 people were killed including 13 civilians.") == ["20"]
    assert check.tolls(question, "Raqqa activists said 30 people were wounded.") == []
    # unless the question counts that group: "15 died including five policemen" gives 5 policemen
    police = "How many police officers died in the attack on the Midan police station?"
    assert check.tolls(police, "Sputnik said 15 people died including five policemen.") == ["5"]
    # an account that no one died is the other side of a death toll
    hospital = "How many people were killed when an air strike hit the hospital in Kafr Takharim?"
    assert check.tolls(hospital, "The Observatory said there were no deaths from the hospital strike.") == ["no deaths"]
    # a toll revised over time is one account, a total over a period or another event's toll is no other account of
    # this one, and a question that is no count has no toll
    for other in (
        "The death toll in Raqqa rose to 30 on Monday.",
        "At least 79 people were killed in Raqqa over the last 48 hours.",
        "A total of 37 people have been killed since the offensive began.",
        "Separate air strikes near Raqqa killed at least 12 people.",
        "Five more people were killed in the town of Sabqa.",
    ):
        assert check.tolls(question, other) == [], other
    assert check.tolls("Who bombed Raqqa?", "A website said 10 people were killed.") == []
    assert check.tolls(question, "Last updated at Oct 042017 A strike killed 38 people in Raqqa.") == ["38"]
    # the toll read over a part of it: 20, not the 13 civilians among them, nor the 30 wounded
    toll = "At least 20 people including 13 civilians were killed and over 30 people were wounded."
    assert check.tolls("What death toll was given for the bombings?", toll) == ["20"]
    # a figure that is no toll of the asked outcome at all (those forced from their homes, for "executed")
    forced = "ISIS had forced at least 33000 residents out of their homes in Abu Hamam."
    assert check.tolls("How many people did ISIS execute in Abu Hamam?", forced) == []


def test_the_speaker_is_read_from_the_sentence_in_its_own_words():
    assert check.speaker("... in eastern Deir Ezzor province a monitor said.") == "a monitor"
    assert check.speaker("SANA gave a toll of at least 12 dead and 55 wounded.") == "SANA"
    assert check.speaker("12 were killed, according to the state news agency.") == "the state news agency"
    assert check.speaker("According to report ISIS has executed around 367 people in the town.") == ""
    assert (
        check.speaker("A spokesman at the hospital in Kafr Takharim said an air strike hit its courtyard.")
        == "A spokesman at the hospital in Kafr Takharim"
    )
    assert check.speaker('"At least 36 people were killed" he said.') == ""
    assert check.speaker('"Eleven regime fighters were killed in the attack" said Abdel Rahman.') == "Abdel Rahman"
    assert (
        check.speaker("... trying to cross the river on Wednesday opposition activists said.") == "opposition activists"
    )
    assert check.speaker("Seven civilians were killed in Tal Abyad.") == ""


ARTICLES = [
    (
        "a1",
        "Monitor Daily",
        "Russian strike kills civilians at the Euphrates",
        "A Russian air strike killed 38 civilians on Wednesday as they tried to cross the Euphrates River in Deir "
        "Ezzor province a monitor said. The boats were hit near the eastern bank.",
    ),
    (
        "a2",
        "Wire Service",
        "Jets hit families fleeing across the Euphrates",
        "Military jets believed to be Russian killed at least 60 civilians trying to cross the Euphrates River in "
        "Deir Ezzor province on Wednesday. Families had gathered at the crossing at dawn.",
    ),
    (
        "a3",
        "Wire Service",
        "Strike in Idlib market",
        "An air strike killed 12 civilians in a market in Idlib province on Wednesday activists said. Shops burned.",
    ),
    (
        "a4",
        "Evening Post",
        "Euphrates crossing toll revised",
        "The toll from the Russian strike on civilians crossing the Euphrates River in Deir Ezzor province on "
        "Wednesday rose to 45 on Thursday. Rescuers kept searching the river.",
    ),
]


def conflict_index(folder: Path) -> Settings:
    """The four articles ingested into an index under `folder` (no similarity gate: the rules are under test)."""
    rows = [{"id": i, "source": s, "title": t, "text": x, "date": "2017-10-05"} for i, s, t, x in ARTICLES]
    return ungated_index(folder, rows)


@pytest.fixture(scope="module")
def conflicts(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return conflict_index(tmp_path_factory.mktemp("conflicts"))


def _asked(settings: Settings, question: str, short_answer: str):
    model = _ScriptedModel(json.dumps({"sources": [1], "answer": short_answer}))
    assistant = Assistant(settings, llm=model)  # type: ignore[arg-type]
    try:
        return assistant.ask(question)
    finally:
        assistant.store.close()


def test_an_answer_with_one_sources_toll_quotes_the_others_and_says_the_sources_disagree(conflicts: Settings):
    answer = _asked(conflicts, EUPHRATES, "38")
    assert answer.mode == "generated", answer.notice
    assert answer.text.startswith("The sources give different figures. 38 (a monitor): ")
    assert " 60 (Wire Service): " in answer.text, answer.text  # no speaker named: the article's source
    # the Idlib strike is another event (its article names neither the Euphrates nor Deir Ezzor), the revised toll
    # is the same account updated: neither is quoted
    assert "12" not in answer.statement and "45" not in answer.statement
    assert [c.source for c in answer.citations] == ["Monitor Daily", "Wire Service"]  # two articles
    assert answer.disagreeing_sides == ["a monitor", "Wire Service"]
    assert "neither is confirmed" in answer.disagreement
    for citation in answer.citations:  # each figure is bound to the sentence that gives it
        assert f"“{citation.text}” [{citation.number}]" in answer.text


def test_a_toll_no_other_source_contradicts_is_given_alone(conflicts: Settings):
    idlib = "How many civilians were killed in the market in Idlib province on Wednesday?"
    answer = _asked(conflicts, idlib, "12")
    assert answer.mode == "generated", answer.notice
    assert answer.text.startswith("12: ") and answer.disagreeing_sides == []
    assert [c.title for c in answer.citations] == ["Strike in Idlib market"]


def test_another_sources_toll_must_match_the_question_to_be_quoted(conflicts: Settings):
    # the same question and answer as above, with the other figures' own similarity gate closed: 38 stands alone
    strict = conflicts.model_copy(update={"other_figure_min_similarity": 1.01})
    answer = _asked(strict, EUPHRATES, "38")
    assert answer.mode == "generated", answer.notice
    assert answer.text.startswith("38: ") and answer.disagreeing_sides == []


def test_another_outlets_toll_is_found_by_a_second_search_over_the_stories_of_the_same_days(tmp_path: Path):
    # one passage per question (top_k 1): the question's own passages hold only the first account, so the other
    # outlet's "at least 60" a day later can only come from the second search, and the "70" three weeks later (the
    # same words: another story, outside the 3 days) must not
    rows = [
        {
            "id": "b1",
            "source": "Monitor Daily",
            "title": "Euphrates crossing",
            "date": "2017-10-05",
            "text": "Russian jets killed 38 civilians when they hit people crossing the Euphrates River in Deir Ezzor "
            "province on Wednesday a monitor said.",
        },
        {
            "id": "b2",
            "source": "Wire Service",
            "title": "Families hit at the river",
            "date": "2017-10-06",
            "text": "At least 60 civilians were killed on Wednesday by air strikes believed to be Russian on families "
            "trying to reach the far bank of the Euphrates in Deir Ezzor province.",
        },
        {
            "id": "b3",
            "source": "Evening Post",
            "title": "Another crossing",
            "date": "2017-10-26",
            "text": "Russian jets killed 70 civilians when they hit people crossing the Euphrates River in Deir Ezzor "
            "province on Wednesday activists said.",
        },
    ]
    settings = ungated_index(tmp_path, rows).model_copy(update={"top_k": 1})
    answer = _asked(settings, EUPHRATES, "38")
    assert answer.mode == "generated", answer.notice
    assert answer.text.startswith("The sources give different figures. 38 (a monitor): "), answer.text
    assert " 60 (Wire Service): " in answer.text and "70" not in answer.statement
    assert [c.source for c in answer.citations] == ["Monitor Daily", "Wire Service"]
    # the days are what keep the later story out: a month's window takes its 70 instead
    wide = _asked(settings.model_copy(update={"other_report_days": 30}), EUPHRATES, "38")
    assert " 70 (activists): " in wide.text, wide.text
    # with the second search off, or the user's filter keeping only the first outlet, 38 stands alone
    off = _asked(settings.model_copy(update={"other_report_days": 0}), EUPHRATES, "38")
    model = _ScriptedModel(json.dumps({"sources": [1], "answer": "38"}))
    assistant = Assistant(settings, llm=model)  # type: ignore[arg-type]
    try:
        filtered = assistant.ask(EUPHRATES, filters=Filters(sources=("Monitor Daily",)))
    finally:
        assistant.store.close()
    for alone in (off, filtered):
        assert alone.text.startswith("38: ") and alone.disagreeing_sides == [], alone.text
