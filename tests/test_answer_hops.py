"""Two-step questions (issue #13 item 1): a question that describes a town, group or person instead of naming it
is split by code into "which town ...?" and the question about that town; each step is answered, checked and cited
on its own, and the answer is shown only when both are stated. Unit tests of the split, and the whole path on a
two-article index with a scripted model."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.answer import Answer, hops
from rag.assistant import Assistant
from rag.config import Settings
from tests.test_answer import ungated_index
from tests.test_answer_between import _AnswersByQuestion, _number_of
from ui import render

QUESTION = (
    "In November 2017 three air strikes on the market of a rebel-held town west of Aleppo killed 61 people. How many "
    "people had been killed when an air strike hit that same town's market in April 2014?"
)
FIRST = "In November 2017 three air strikes on the market of which rebel-held town west of Aleppo killed 61 people?"
SECOND = "How many people had been killed when an air strike hit Atareb's market in April 2014?"
EARLIER = (
    "b1",
    "2014-04-24",
    "Air raid kills 21 at market",
    "An air strike on a market on Thursday killed people in a village of the northern province a monitor said. The "
    "toll from the strike on the market area of Atareb village rose to 21 the monitor added.",
)
LATER = (
    "b2",
    "2017-11-14",
    "Strikes on market town kill dozens",
    "The monitor said three air strikes hit the market in Atareb west of Aleppo and killed at least 61 people. The "
    "town lies in a de-escalation zone.",
)


@pytest.mark.parametrize(
    ("question", "first", "second"),
    [
        (QUESTION, FIRST, "How many people had been killed when an air strike hit {bridge}'s market in April 2014?"),
        (  # a description opening the question, closed by the verb before "which"
            "The rebel group that manned the checkpoint near Azaz hit by a car bomb in October 2016 had been joined in "
            "January 2015 by which faction?",
            "What is the name of the rebel group that manned the checkpoint near Azaz hit by a car bomb in October "
            "2016?",
            "{bridge} had been joined in January 2015 by which faction?",
        ),
        (  # closed by a colon
            "The commander who threatened Alawite towns in August 2013: what condition was he in after the strike?",
            "What is the name of the commander who threatened Alawite towns in August 2013?",
            "{bridge}: what condition was he in after the strike?",
        ),
        (  # at the end, after a preposition
            "What was the name of the girl evacuated in August 2016 from the besieged town where three women were "
            "killed at a funeral?",
            "What is the name of the besieged town where three women were killed at a funeral?",
            "What was the name of the girl evacuated in August 2016 from {bridge}?",
        ),
        (  # a group named by its leader
            "Which spokesman of the rebel faction led by Zahran Alloush said in July 2016 that a pilot was executed?",
            "What is the name of the rebel faction led by Zahran Alloush?",
            "Which spokesman of {bridge} said in July 2016 that a pilot was executed?",
        ),
        (  # a clause before ";", and "a.m." ends no sentence
            "Warplanes struck a town in Idlib at 6:30 a.m. on 4 April 2017; how many were killed in that town in 2015?",
            "Warplanes struck which town in Idlib at 6:30 a.m. on 4 April 2017?",
            "how many were killed in {bridge} in 2015?",
        ),
    ],
)
def test_a_described_thing_is_asked_for_first_and_named_in_the_second_question(question, first, second) -> None:
    steps = hops.parse(question)
    assert steps is not None
    assert (steps.first, steps.second) == (first, second)


@pytest.mark.parametrize(
    "question",
    [
        "How many civilians were killed in the air strike on the market of Atareb in November 2017?",
        "Which group claimed the bombing that killed 20 people in Qamishli in July 2016?",  # asks for it: one step
        "Who is the commander of the 10-year-old girl from that town?",  # "girl from that town": no description
        "How many people were killed? A town was hit.",  # nothing refers back to the town
    ],
)
def test_a_question_that_names_what_it_asks_about_is_one_step(question: str) -> None:
    assert hops.parse(question) is None


def _answer(short: str, mode: str = "generated") -> Answer:
    return Answer(question="q", standalone_question="q", text=short, mode=mode, short_answer=short)  # type: ignore[arg-type]


def test_the_bridge_is_the_name_the_first_step_gives() -> None:
    assert hops.bridge(_answer("Shamiya Front rebel group"), QUESTION) == "Shamiya Front"
    assert hops.bridge(_answer("Abu Mohammad al-Golani"), QUESTION) == "Abu Mohammad al-Golani"
    assert hops.bridge(_answer("Aleppo"), QUESTION) is None  # a name the question already gives describes nothing
    assert hops.bridge(_answer("the rebels"), QUESTION) is None  # no name
    assert hops.bridge(_answer("Atareb", mode="refused"), QUESTION) is None
    assert hops.bridge(_answer("A Very Long Name Of Seven Words Here"), QUESTION) is None


def two_step_index(folder: Path) -> Settings:
    """The April 2014 and November 2017 stories of one town's market, ingested under `folder` (no gate)."""
    rows = [{"id": i, "date": d, "title": t, "text": x, "source": "Wire"} for i, d, t, x in (EARLIER, LATER)]
    return ungated_index(folder, rows)


def two_step_replies(assistant: Assistant, town: str = "Atareb", toll: str | None = "21") -> dict[str, dict]:
    """The scripted model's replies: the town for the first step (citing the November story), the toll for the
    second (citing the April one); nothing for the question as asked."""
    replies = {FIRST: {"sources": [_number_of(assistant, FIRST, "hit the market in Atareb")], "answer": town}}
    second = SECOND.replace("Atareb", town)
    if toll is not None:
        replies[second] = {"sources": [_number_of(assistant, second, "rose to 21")], "answer": toll}
    return replies


def _asked(settings: Settings, **reply: str | None) -> tuple[Answer, list[object], list[str]]:
    model = _AnswersByQuestion({})
    assistant = Assistant(settings, llm=model)  # type: ignore[arg-type]
    try:
        model.replies.update(two_step_replies(assistant, **reply))  # type: ignore[arg-type]
        events = list(assistant.stream(QUESTION))
    finally:
        assistant.store.close()
    return events[-1], events[:-1], model.asked  # type: ignore[return-value]


def test_each_step_is_checked_and_cited_in_its_own_article(tmp_path: Path) -> None:
    answer, events, asked = _asked(two_step_index(tmp_path))
    assert asked == [QUESTION, FIRST, SECOND]
    assert answer.mode == "generated", answer.notice
    assert answer.short_answer == "21"
    assert answer.text.startswith("21: “The toll from the strike on the market area of Atareb village rose to 21")
    assert "\nThe town the question describes: Atareb: “The monitor said three air strikes hit" in answer.text
    assert [c.title for c in answer.citations] == [EARLIER[2], LATER[2]]  # two stories, each its own marker
    for citation in answer.citations:
        assert f"“{citation.text}” [{citation.number}]" in answer.text
    assert [e for e in events if isinstance(e, str)] == [answer.text]  # only the combined, checked text is shown
    assert answer.steps == [f"{FIRST} → Atareb [2]", f"{SECOND} → 21 [1]"]  # the chain, as the Sources tab lists it
    assert list(answer.drafts) == [QUESTION, FIRST, SECOND]  # every reply, for replays (eval/recheck.py)
    sources = render.sources_html(answer, 0)
    assert "<h4>Answered in steps</h4>" in sources and sources.count('class="step"') == 2
    assert sources.index("→ Atareb") < sources.index("→ 21")


def test_a_step_its_sentences_do_not_state_leaves_the_question_unanswered(tmp_path: Path) -> None:
    settings = two_step_index(tmp_path)
    # the first step answered with a town its cited sentence does not name: withheld, the second never asked
    answer, events, asked = _asked(settings, town="Darkush")
    assert answer.abstained and asked == [QUESTION, FIRST]
    assert [e for e in events if isinstance(e, str)] == [answer.text] == ["The articles do not say."]
    # the second step not stated: nothing is shown, and the notice says how far it got
    answer, _, asked = _asked(settings, toll=None)
    assert answer.abstained and asked == [QUESTION, FIRST, SECOND] and list(answer.drafts) == asked
    assert "the town the question describes is Atareb, but" in (answer.notice or "")
