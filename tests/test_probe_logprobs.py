"""eval/probe_logprobs.py reads the probabilities of the answer value's tokens only, whatever way the tokenizer
splits the JSON around it."""

from __future__ import annotations

from tests.conftest import eval_script

eval_script("calibrate")  # the probe imports its curve, as from its own folder
probe = eval_script("probe_logprobs")


def _tokens(*texts: str) -> list[tuple[str, float]]:
    return [(text, -float(number)) for number, text in enumerate(texts)]


def test_the_answer_value_tokens_are_read_and_nothing_around_them() -> None:
    tokens = _tokens('{"', "sources", '":', " [", "2", "],", ' "', "answer", '":', ' "', "7", " people", '"}')
    assert [t for t, _ in probe.answer_tokens(tokens)] == ["7", " people"]


def test_a_value_that_starts_inside_the_opening_quote_token_is_read() -> None:
    tokens = _tokens('{"answer":', ' "Ab', "u", " Bakr", '"', "}")
    assert [t for t, _ in probe.answer_tokens(tokens)] == [' "Ab', "u", " Bakr"]


def test_no_answer_key_reads_nothing() -> None:
    assert probe.answer_tokens(_tokens("not", " json")) == []
