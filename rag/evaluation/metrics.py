"""Pure scoring functions for `rag eval`: answer normalisation, answer correctness, token F1, evidence matching,
retrieval hit@k / MRR, citation precision / recall and latency percentiles. No I/O, no model calls: the runner
feeds them the judgements it made."""

from __future__ import annotations

import math
import re
import string
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence

# --- text normalisation ----------------------------------------------------------------------------------------

_QUOTES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u00b4": "'",
        "`": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2033": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\u00a0": " ",
        "\u2026": "...",
    }
)


def normalise_text(text: str) -> str:
    """For matching evidence against indexed text: Unicode NFKC, curly quotes and dashes to ASCII, lowercase,
    whitespace collapsed; snippet ellipses at either end ("... text ...") dropped."""
    text = unicodedata.normalize("NFKC", text or "").translate(_QUOTES).lower()
    text = " ".join(text.split())
    return text.strip(". ").strip() if text.startswith("...") or text.endswith("...") else text


_UNIT_WORDS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen"
)
_UNITS = {word: value for value, word in enumerate(_UNIT_WORDS.split())}
_TENS_WORDS = "twenty thirty forty fifty sixty seventy eighty ninety"
_TENS = {word: 10 * value for value, word in enumerate(_TENS_WORDS.split(), start=2)}
_SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000, "billion": 1_000_000_000}
_ARTICLES = {"a", "an", "the"}
_PUNCTUATION = set(string.punctuation) | {"'", '"'}


def _words_to_numbers(tokens: list[str]) -> list[str]:
    """["twenty", "one", "soldiers"] -> ["21", "soldiers"]; "one hundred and five" -> "105"."""
    out: list[str] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if not _is_number_word(token):
            out.append(token)
            index += 1
            continue
        total, current = 0, 0
        while index < len(tokens):
            token = tokens[index]
            last_two = current % 100
            if token in _UNITS:
                if last_two and not (last_two >= 20 and last_two % 10 == 0):  # "five six" is two numbers
                    break
                current += _UNITS[token]
            elif token in _TENS:
                if last_two:
                    break
                current += _TENS[token]
            elif token in _SCALES and (current or total):
                scale = _SCALES[token]
                if scale == 100:
                    current *= 100
                else:
                    total += current * scale
                    current = 0
            elif token == "and" and current >= 100 and index + 1 < len(tokens) and _is_number_word(tokens[index + 1]):
                pass
            else:
                break
            index += 1
        out.append(str(total + current))
    return out


def _is_number_word(token: str) -> bool:
    return token in _UNITS or token in _TENS


def normalise_answer(text: str) -> str:
    """For comparing answers: lowercase, quotes/punctuation removed (a decimal point or thousands separator
    between digits kept/joined), number words written as digits ("seven" -> "7", "twenty-one" -> "21"),
    whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text or "").translate(_QUOTES).lower()
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)  # 1,000 -> 1000
    text = re.sub(r"(?<=\d)\.(?=\d)", "\u0000", text)  # keep 2.5
    text = "".join(" " if ch in _PUNCTUATION else ch for ch in text).replace("\u0000", ".")
    return " ".join(_words_to_numbers(text.split()))


def contains_answer(response: str, acceptable: Iterable[Sequence[str]]) -> bool:
    """Whether the normalised response contains, as whole tokens, every string of some acceptable answer (an
    answer is a group of strings: one for a plain answer, both figures for a conflict question)."""
    haystack = f" {normalise_answer(response)} "
    for group in acceptable:
        needles = [normalise_answer(part) for part in group]
        if any(needles) and all(f" {needle} " in haystack for needle in needles if needle):
            return True
    return False


def states_part_of_answer(text: str, acceptable: Iterable[Sequence[str]]) -> bool:
    """Whether the text contains, as whole tokens, at least one string of an acceptable answer (one side's figure
    of a conflict question is part of its answer)."""
    haystack = f" {normalise_answer(text)} "
    return any(needle and f" {needle} " in haystack for group in acceptable for needle in map(normalise_answer, group))


def token_f1(response: str, acceptable: Iterable[Sequence[str]]) -> float:
    """SQuAD-style token F1 (articles dropped), the best over the acceptable answers (a group's strings joined)."""
    predicted = [t for t in normalise_answer(response).split() if t not in _ARTICLES]
    best = 0.0
    for group in acceptable:
        gold = [t for t in normalise_answer(" ".join(group)).split() if t not in _ARTICLES]
        common = sum((Counter(predicted) & Counter(gold)).values())
        if not common:
            continue
        precision, recall = common / len(predicted), common / len(gold)
        best = max(best, 2 * precision * recall / (precision + recall))
    return best


# --- per-question scoring --------------------------------------------------------------------------------------


def answer_scores(
    statement: str, abstained: bool, acceptable: Sequence[Sequence[str]], shown: str | None = None
) -> dict[str, float | bool]:
    """correct / token_f1 / abstention_correct / false_answer / wrong_answer for one question (empty `acceptable` =
    unanswerable: correct only if it abstained). `statement` is what the answer itself asserts (`Answer.statement`:
    without the sentences it quotes), so a wrong figure beside a quote that holds the right one is wrong;
    `correct_with_quotes` scores the whole `shown` text, as reports before 2026-12-03 (session 14) did."""
    if not acceptable:
        return {
            "correct": abstained,
            "correct_with_quotes": abstained,
            "token_f1": 1.0 if abstained else 0.0,
            "abstention_correct": abstained,
            "false_answer": not abstained,
            "wrong_answer": False,
        }
    correct = (not abstained) and contains_answer(statement, acceptable)
    return {
        "correct": correct,
        "correct_with_quotes": (not abstained) and contains_answer(statement if shown is None else shown, acceptable),
        "token_f1": 0.0 if abstained else token_f1(statement, acceptable),
        "abstention_correct": not abstained,
        "false_answer": False,
        "wrong_answer": not abstained and not correct,
    }


def evidence_matches(text: str, evidence: Iterable[str], min_chars: int = 20) -> bool:
    """Whether a passage or cited sentence covers gold evidence: its normalised text contains a normalised
    evidence text, or (for a sentence that is part of multi-sentence evidence) is contained in one, provided it
    is not a trivially short fragment."""
    candidate = normalise_text(text)
    if not candidate:
        return False
    for item in evidence:
        gold = normalise_text(item)
        if not gold:
            continue
        if gold in candidate:
            return True
        if len(candidate) >= min(min_chars, len(gold)) and candidate in gold:
            return True
    return False


def first_hit_rank(hits: Sequence[bool], k: int = 10) -> int | None:
    """1-based rank of the first True among the first k, or None."""
    for rank, hit in enumerate(hits[:k], start=1):
        if hit:
            return rank
    return None


def hit_at_k(ranks: Sequence[int | None], k: int = 10) -> float | None:
    return mean([1.0 if rank is not None and rank <= k else 0.0 for rank in ranks])


def mrr(ranks: Sequence[int | None], k: int = 10) -> float | None:
    return mean([1.0 / rank if rank is not None and rank <= k else 0.0 for rank in ranks])


def citation_recall_ok(claims: Sequence[Sequence[bool]]) -> bool:
    """One answer: every claim (list of its citations' support verdicts) has at least one supporting citation."""
    return bool(claims) and all(any(verdicts) for verdicts in claims)


# --- aggregation -----------------------------------------------------------------------------------------------


def mean(values: Iterable[float | bool | None]) -> float | None:
    present = [float(v) for v in values if v is not None]
    return sum(present) / len(present) if present else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated percentile (numpy's default), q in 0..100."""
    ordered = sorted(values)
    if not ordered:
        return None
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


# The order reports show them in: what a reader must see first (a wrong answer with a confident citation is the
# worst outcome) before anything else. citation_precision_gold is the headline citation figure: it needs no model.
HEADLINE_KEYS = ("false_answer_rate", "wrong_answer_rate", "accuracy", "abstention_accuracy", "citation_precision_gold")
METRIC_KEYS = (
    *HEADLINE_KEYS,
    "accuracy_with_quotes",
    "citation_precision_judge",
    "citation_recall",
    "evidence_hit_at_10",
    "mrr",
    "token_f1",
)


def aggregate(rows: Sequence[dict]) -> dict[str, float | int | None]:
    """Metrics over per-question result rows (as written by the runner: "answerable", "correct", "token_f1",
    "abstained", "abstention_correct", "first_hit_rank", "citations" with "gold_supported" and "supported",
    "claims_covered").

    accuracy, token_f1, abstention_accuracy: all questions; evidence_hit_at_10, mrr: answerable questions;
    false_answer_rate: unanswerable questions that were answered; wrong_answer_rate: answerable questions answered
    with a statement that is not an acceptable answer; accuracy_with_quotes: accuracy had the quoted sentences
    counted as part of the answer (the lenient figure of earlier reports); citation_precision_gold / _judge: all
    citations
    of answers that did not abstain (every citation of an answer to an unanswerable question is unsupported);
    citation_recall: answerable questions answered, whose every claim has a supporting citation.
    """
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    citations = [c for r in rows if not r["abstained"] for c in r.get("citations", [])]
    answered = [r for r in answerable if not r["abstained"]]
    ranks = [r.get("first_hit_rank") for r in answerable]
    return {
        "n": len(rows),
        "false_answer_rate": mean(not r["abstained"] for r in unanswerable),
        "wrong_answer_rate": mean(bool(r.get("wrong_answer")) for r in answerable),
        "accuracy": mean(r["correct"] for r in rows),
        "abstention_accuracy": mean(r["abstention_correct"] for r in rows),
        "citation_precision_gold": mean(c["gold_supported"] for c in citations),
        "accuracy_with_quotes": mean(r.get("correct_with_quotes", r["correct"]) for r in rows),
        "citation_precision_judge": mean(c["supported"] for c in citations),
        "citation_recall": mean(r["claims_covered"] for r in answered),
        "evidence_hit_at_10": hit_at_k(ranks, 10) if answerable else None,
        "mrr": mrr(ranks, 10) if answerable else None,
        "token_f1": mean(r["token_f1"] for r in rows),
        "n_citations": len(citations),
    }


def spread(runs: Sequence[Sequence[dict]], keys: Sequence[str] = ("accuracy", "false_answer_rate")) -> dict:
    """Run-to-run spread of repeated runs (each a list of rows over the same questions in the same order): per key
    the mean, min and max over runs and every run's value, and the share of questions whose answer text was not
    the same in every run."""
    values = {key: [aggregate(rows)[key] for rows in runs] for key in keys}
    out: dict = {"runs": len(runs)}
    for key, per_run in values.items():
        present = [v for v in per_run if v is not None]
        out[key] = {
            "mean": mean(present),
            "min": min(present) if present else None,
            "max": max(present) if present else None,
            "per_run": per_run,
        }
    by_question: dict[str, set[str]] = {}
    for rows in runs:
        for row in rows:
            by_question.setdefault(row["id"], set()).add(" ".join(str(row.get("answer_text", "")).split()))
    out["answer_changed_share"] = mean(len(texts) > 1 for texts in by_question.values())
    return out


def latency(rows: Sequence[dict]) -> dict[str, dict[str, float | None]]:
    """p50/p95 seconds per stage over the questions that ran the stage."""
    stages: dict[str, list[float]] = {}
    for row in rows:
        for stage, seconds in (row.get("timings") or {}).items():
            stages.setdefault(stage, []).append(float(seconds))
    return {
        stage: {"p50": _round(percentile(values, 50)), "p95": _round(percentile(values, 95)), "n": len(values)}
        for stage, values in stages.items()
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
