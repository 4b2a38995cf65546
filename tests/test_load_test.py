"""The load test (eval/load_test.py) in small: concurrent gradio_client sessions hold conversations against a real
`rag ui` process while an ingest writes to the same index; and its leak check catches what it is meant to."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import eval_script

load_test = eval_script("load_test")

ASKED = ["Who was Alaa al-Omar?", "Where was he assassinated?"]
OWN_TURN = '<div class="answer-text">He was killed <a class="cite" href="#cite-1-1">[1]</a></div>'


def _chat(questions: list[str], answer: str) -> list[dict]:
    messages: list[dict] = []
    for question in questions:
        messages += [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]
    return messages


def test_the_leak_check_flags_another_sessions_question_or_state() -> None:
    sources = '<a class="cite" href="#cite-1-p0">passage</a>'
    assert load_test.leak_in(_chat(ASKED, OWN_TURN), sources, ASKED, 1) == ""
    # another session's question in this chat
    other = _chat([ASKED[0], "How many civilians were killed in Afrin?"], OWN_TURN)
    assert "chat shows questions" in load_test.leak_in(other, sources, ASKED, 1)
    # links numbered by a server-side conversation longer than this session's: its state is shared or swapped
    shared = OWN_TURN.replace("#cite-1-1", "#cite-4-1")
    assert "turn(s) [1, 4]" in load_test.leak_in(_chat(ASKED, shared), sources, ASKED, 1)
    assert "turn(s) [1, 3]" in load_test.leak_in(_chat(ASKED, OWN_TURN), '<a href="#cite-3-p0">', ASKED, 1)
    # a chat turn Gradio sends as content parts is read the same way
    parts = [{"role": m["role"], "content": [{"type": "text", "text": m["content"]}]} for m in _chat(ASKED, OWN_TURN)]
    assert load_test.leak_in(parts, sources, ASKED, 1) == ""


@pytest.mark.slow
def test_concurrent_conversations_with_an_ingest_running(tmp_path: Path) -> None:
    more = tmp_path / "more"
    more.mkdir()
    for n in range(3):
        (more / f"flood-{n}.txt").write_text(
            f"Flood number {n} in Valparaiso\n\nA flood in the town of Valparaiso destroyed {n + 2} bridges on "
            f"Monday, the mayor said. The river rose {n + 3} metres overnight in district {n}.\n",
            encoding="utf-8",
        )
    figures_file = tmp_path / "figures.json"
    options = ["--extractive", "--sessions", "4", "--questions", "3", "--time-limit", "300", "--ingest", str(more)]
    assert load_test.main([*options, "--json", str(figures_file)]) == 0
    figures = json.loads(figures_file.read_text())
    assert figures["answered"] == figures["questions"] == 12 and figures["errors"] == 0
    assert figures["cross_session_leaks"] == 0 and figures["turns_with_state_check"] == 12
    assert figures["citations_checked"] > 0 and figures["citations_not_in_index"] == 0
    assert figures["ingest"]["rc"] == 0
