"""Counts across articles (issue #13 item 3): "how many in total in A and B", "how many more in A than in B" and
"which was deadlier, A or B" are split by code into one count question per event; each is answered, checked and
cited on its own, and the sum, difference or larger is worked out in code. Unit tests of the split and the
arithmetic, and the whole path on a two-article index with a scripted model."""

from __future__ import annotations

import pytest

from rag.answer import Answer, counts
from rag.answer.types import Citation
from rag.assistant import Assistant
from rag.config import Settings
from tests.test_answer import ungated_index
from tests.test_answer_between import _AnswersByQuestion, _number_of

DOUMA = "the air strikes on the Douma market in May 2016"
MIDAN = "the rebel shelling of Aleppo's Midan district in June 2016"
TOTAL = f"How many civilians were killed in total in {DOUMA} and {MIDAN}?"
ASK_DOUMA = f"How many civilians were killed in {DOUMA}?"
ASK_MIDAN = f"How many civilians were killed in {MIDAN}?"


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        (TOTAL, counts.TwoCounts(DOUMA, MIDAN, "civilians", "killed", counts.TOTAL)),
        (  # the events first, the count after them
            f"Adding up {DOUMA} and {MIDAN}, how many people were killed in total?",
            counts.TwoCounts(DOUMA, MIDAN, "people", "killed", counts.TOTAL),
        ),
        (
            f"What was the combined death toll of {DOUMA} and {MIDAN}?",
            counts.TwoCounts(DOUMA, MIDAN, "people", "killed", counts.TOTAL),
        ),
        (  # "and" inside the first event: the "than" joins the two
            "How many fewer civilians died in the regime and Russian strikes on Alghantou in August 2016 than in the "
            "air strikes on Raqqa on 21 June 2016?",
            counts.TwoCounts(
                "the regime and Russian strikes on Alghantou in August 2016",
                "the air strikes on Raqqa on 21 June 2016",
                "civilians",
                "killed",
                counts.DIFFERENCE,
            ),
        ),
        (
            f"By how many did the death toll of {DOUMA} exceed that of {MIDAN}?",
            counts.TwoCounts(DOUMA, MIDAN, "people", "killed", counts.DIFFERENCE),
        ),
        (  # the second event's own counted words dropped
            f"What is the difference between the number of civilians killed in {DOUMA} and the number killed by "
            f"{MIDAN}?",
            counts.TwoCounts(DOUMA, MIDAN, "civilians", "killed", counts.DIFFERENCE),
        ),
        (
            f"Which was deadlier for civilians: {DOUMA}, or {MIDAN}?",
            counts.TwoCounts(DOUMA, MIDAN, "civilians", "killed", counts.MORE),
        ),
        (
            f"Were more people injured in {DOUMA}, or in {MIDAN}?",
            counts.TwoCounts(DOUMA, MIDAN, "people", "injured", counts.MORE),
        ),
        (
            f"Which attack killed fewer civilians: {DOUMA}, or {MIDAN}?",
            counts.TwoCounts(DOUMA, MIDAN, "civilians", "killed", counts.FEWER),
        ),
    ],
)
def test_a_question_combining_two_counts_is_split_into_one_count_per_event(question, expected) -> None:
    assert counts.parse(question) == expected


@pytest.mark.parametrize(
    "question",
    [
        "How many civilians were killed in the air strikes on the Douma market in May 2016?",  # one event
        "How many civilians and fighters were killed in total in the strikes on Douma?",  # two groups, one event
        "How many people were killed and wounded in the shelling of Aleppo and Idlib?",  # no total, difference, ...
        "Which group held more towns, the Nusra Front or Islamic State?",  # not a casualty count
        "How many days passed between the fall of Palmyra and the siege of Kobane?",
    ],
)
def test_other_questions_are_not_split(question: str) -> None:
    assert counts.parse(question) is None


def _count(short: str, sentence: str = "", mode: str = "generated", sides: list[str] | None = None) -> Answer:
    answer = Answer(question="q", standalone_question="q", text=short, mode=mode, short_answer=short)  # type: ignore[arg-type]
    answer.disagreeing_sides = sides or []
    if sentence:
        answer.citations = [Citation(1, "a", "t", None, None, None, "", "s1", 0, sentence, 0, 1, 0, 1, 1.0)]
    return answer


def test_the_count_is_the_one_number_a_checked_answer_gives() -> None:
    assert counts.count_of(_count("23")) == 23
    assert counts.count_of(_count("seven civilians")) == 7
    assert counts.count_of(_count("23", mode="refused")) is None
    assert counts.count_of(_count("12 or 20")) is None  # alternatives: no single count
    assert counts.count_of(_count("At least 11 civilians, including three children"), "civilians") == 11
    assert counts.count_of(_count("15 people and 3 children"), "children") == 3  # the count of what is asked
    assert counts.count_of(_count("15 people and 3 children"), "civilians") is None
    assert counts.count_of(_count("dozens")) is None
    assert counts.count_of(_count("17", sides=["pro-opposition", "pro-government"])) is None  # a disputed toll


def test_how_the_sentence_writes_the_count_is_kept() -> None:
    assert counts.qualifier(_count("20", "Strikes killed at least 20 people on Monday."), 20) == "at least"
    assert counts.qualifier(_count("20", "Strikes killed nearly twenty people."), 20) == "about"
    assert counts.qualifier(_count("20", "Strikes killed 20 people."), 20) == ""


def _up(event: str) -> str:
    return event[0].upper() + event[1:]


def _parts() -> tuple[Answer, Answer]:
    first = _count("23", "Air strikes on a market in Douma killed 23 civilians.")
    second = _count("15", "Shelling of Midan killed 15 civilians.")
    first.text, second.text = "23: “Air strikes ...” [1]", "15: “Shelling ...” [1]"
    return first, second


def test_the_sum_difference_and_larger_are_worked_out_in_code() -> None:
    first, second = _parts()
    total = counts.TwoCounts(DOUMA, MIDAN, form=counts.TOTAL)
    text, citations = counts.combined(total, (first, second), (23, 15))
    assert text.splitlines()[0] == "38 in all (worked out from the figures the articles give: 23 [1] and 15 [2])."
    assert text.splitlines()[1:] == [
        f"{_up(DOUMA)}: 23: “Air strikes ...” [1]",
        f"{_up(MIDAN)}: 15: “Shelling ...” [2]",
    ]
    assert [c.number for c in citations] == [1, 2]
    difference = counts.TwoCounts(MIDAN, DOUMA, form=counts.DIFFERENCE)  # asked "how many more in Midan"
    text, _ = counts.combined(difference, (second, first), (15, 23))
    assert text.startswith(f"8 fewer in {MIDAN} than in {DOUMA} (")
    deadlier = counts.TwoCounts(DOUMA, MIDAN, form=counts.MORE)
    text, _ = counts.combined(deadlier, (first, second), (23, 15))
    assert text.startswith(f"{_up(DOUMA)} (worked out from the figures the articles give: 23 [1] and 15 [2]).")
    assert MIDAN not in text  # the head names only the answer; each count's line shows its own quote
    fewer = counts.TwoCounts(DOUMA, MIDAN, form=counts.FEWER)
    assert counts.combined(fewer, (first, second), (23, 15))[0].startswith(f"{_up(MIDAN)} (")
    assert counts.combined(fewer, (first, second), (15, 15))[0].startswith("Neither: the two counts are the same")


def test_a_total_of_counts_written_at_least_is_at_least() -> None:
    first, second = _parts()
    first.citations[0].text = "Air strikes on a market in Douma killed at least 23 civilians."
    text, _ = counts.combined(counts.TwoCounts(DOUMA, MIDAN), (first, second), (23, 15))
    assert text.startswith(
        "at least 38 in all (worked out from the figures the articles give: at least 23 [1] and 15 [2])."
    )


DOUMA_STORY = (
    "c1",
    "2016-05-04",
    "Air strikes kill 23 in Douma",
    "Air strikes on a market in Douma killed 23 civilians on Tuesday a monitor said. Rescue workers searched the "
    "rubble for survivors.",
)
MIDAN_STORY = (
    "c2",
    "2016-06-10",
    "Shelling kills 15 in Aleppo",
    "Rebel shelling of the Midan district of Aleppo killed 15 civilians on Thursday state media said. Schools in the "
    "city were closed.",
)
ROUNDUP_STORY = (
    "c3",
    "2016-06-12",
    "Monitor tallies spring strikes",
    "The monitor said 23 civilians were killed in the air strikes on the Douma market in May and in the rebel "
    "shelling of Aleppo's Midan district in June.",
)
ROUNDUP = "23 civilians were killed in the air strikes on the Douma market"


@pytest.fixture(scope="module")
def two_stories(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    rows = [{"id": i, "date": d, "title": t, "text": x, "source": "Wire"} for i, d, t, x in (DOUMA_STORY, MIDAN_STORY)]
    return ungated_index(tmp_path_factory.mktemp("counts"), rows)


@pytest.fixture(scope="module")
def roundup(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    i, d, t, x = ROUNDUP_STORY
    return ungated_index(
        tmp_path_factory.mktemp("roundup"), [{"id": i, "date": d, "title": t, "text": x, "source": "Wire"}]
    )


def _asked(settings: Settings, replies: dict[str, tuple[str, str]]) -> tuple[Answer, list[object], list[str]]:
    model = _AnswersByQuestion({})
    assistant = Assistant(settings, llm=model)  # type: ignore[arg-type]
    try:
        for question, (phrase, short) in replies.items():
            model.replies[question] = {"sources": [_number_of(assistant, question, phrase)], "answer": short}
        events = list(assistant.stream(TOTAL))
    finally:
        assistant.store.close()
    return events[-1], events[:-1], model.asked  # type: ignore[return-value]


def test_each_count_is_checked_and_cited_in_its_own_article(two_stories: Settings) -> None:
    answer, events, asked = _asked(two_stories, {ASK_DOUMA: ("killed 23", "23"), ASK_MIDAN: ("killed 15", "15")})
    assert asked == [ASK_DOUMA, ASK_MIDAN]
    assert answer.mode == "generated", answer.notice
    assert answer.text.startswith("38 in all (worked out from the figures the articles give: 23 [1] and 15 [2]).")
    assert answer.short_answer == "38 in all"
    assert [c.title for c in answer.citations] == [DOUMA_STORY[2], MIDAN_STORY[2]]  # two stories
    for citation in answer.citations:
        assert f"“{citation.text}” [{citation.number}]" in answer.text
    assert [e for e in events if isinstance(e, str)] == [answer.text]  # only the combined, checked text is shown


def test_a_count_the_sentences_do_not_state_leaves_the_question_unanswered(two_stories: Settings) -> None:
    # the model's 25 for a sentence that says 23: withheld by the checks, so the second count is never asked
    answer, events, asked = _asked(two_stories, {ASK_DOUMA: ("killed 23", "25"), ASK_MIDAN: ("killed 15", "15")})
    assert answer.abstained and asked == [ASK_DOUMA] and not answer.citations
    assert answer.notice == f"the articles give no single number for {DOUMA}"
    assert [e for e in events if isinstance(e, str)] == []
    # the second not stated ("not stated" for a question the script has no reply to)
    answer, _, asked = _asked(two_stories, {ASK_DOUMA: ("killed 23", "23")})
    assert answer.abstained and asked == [ASK_DOUMA, ASK_MIDAN]
    assert answer.notice == f"the articles give no single number for {MIDAN}"


def test_one_number_of_one_sentence_is_not_added_to_itself(roundup: Settings) -> None:
    # a sentence that gives one toll for both places: the same count read twice is no total
    answer, _, _ = _asked(roundup, {ASK_DOUMA: (ROUNDUP, "23"), ASK_MIDAN: (ROUNDUP, "23")})
    assert answer.abstained and not answer.citations, answer.text
    assert answer.notice == f"one number of one sentence was found for both {DOUMA} and {MIDAN}"
