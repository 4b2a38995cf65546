"""Citation verification: every cited sentence must state the claim it is cited for, or the citation goes.

The judge is the local LLM asked a yes/no question, scored by P(yes) from one forward pass (no PyPI package
ships cross-encoder or NLI weights). A claim whose citations fail is matched against neighbouring and
best-ranked sources before it is given up; a claim that keeps no supported citation is removed from the answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from rag.generate import MARKER, NumberedSources
from rag.ingest.sentences import split_spans
from rag.llm import LLMClient, prompt
from rag.rank import Candidate

SIDE = re.compile(r"\bpro-[a-z]+", re.IGNORECASE)  # pro-government, pro-opposition, pro-Turkish, ...
# One side's account, not just a side named: "pro-opposition sources claim", "pro-government media outlets say".
ACCOUNT = re.compile(
    r"\b(pro-[a-z]+)(?:\s+[a-z]+)?\s+(?:sources|media|outlets|activists|reports|accounts|channels|journalists)\b",
    re.IGNORECASE,
)
REPAIR_TRIES = 3  # best-ranked sources tried for a claim with no (supported) citation


@dataclass
class Claim:
    """One sentence of the model's answer, its markers as the model wrote them and, after checking, the
    numbers that support it with their P(yes)."""

    text: str
    cited: list[int]
    supported: dict[int, float] = field(default_factory=dict)
    support_method: str = "llm-judge"


def split_claims(answer: str) -> list[Claim]:
    claims = []
    for start, end in split_spans(answer):
        piece = answer[start:end]
        numbers = list(dict.fromkeys(int(n) for n in MARKER.findall(piece)))
        text = " ".join(MARKER.sub("", piece).split()).replace(" .", ".").replace(" ,", ",").replace(" ;", ";")
        if text.strip(" .;,"):
            claims.append(Claim(text=text, cited=numbers))
        elif numbers and claims:  # markers split off on their own belong to the previous sentence
            claims[-1].cited.extend(n for n in numbers if n not in claims[-1].cited)
    return claims


def verify(
    llm: LLMClient, question: str, claims: list[Claim], sources: NumberedSources, threshold: float, repair: float
) -> None:
    """Fill each claim's `supported` with the cited (or, if uncited, best-matching) sources that back it."""
    for claim in claims:
        cited = [n for n in claim.cited if sources.get(n) is not None]
        for number in cited:
            score = _support(llm, question, claim.text, sources.sentences[number - 1])
            if score >= threshold:
                claim.supported[number] = score
        if not claim.supported and len(cited) > 1:  # a claim may need its sentences together ("X claims; Y denies")
            together = [sources.sentences[n - 1] for n in cited]
            joined = replace(together[-1], text=" ".join(c.text for c in together), previous=together[0].previous)
            score = _support(llm, question, claim.text, joined)
            if score >= threshold:
                claim.supported = dict.fromkeys(cited, score)
        if not claim.supported:
            _repair(llm, question, claim, sources, repair, tried=set(cited))


def _repair(
    llm: LLMClient, question: str, claim: Claim, sources: NumberedSources, threshold: float, tried: set[int]
) -> None:
    """Small models often cite the sentence next to the right one, or none: try the cited numbers' neighbours,
    then the best-ranked sources, and keep the first that supports the claim."""
    neighbours = [n + step for n in sorted(tried) for step in (1, -1)]
    for number in dict.fromkeys([*neighbours, *sources.best_first[:REPAIR_TRIES]]):
        if number in tried or sources.get(number) is None:
            continue
        tried.add(number)
        score = _support(llm, question, claim.text, sources.sentences[number - 1])
        if score >= threshold:
            claim.supported[number] = score
            return


def _support(llm: LLMClient, question: str, claim: str, source: Candidate) -> float:
    return support_score(llm, question, claim, source.text, source.previous)


def support_score(llm: LLMClient, question: str, claim: str, sentence: str, previous: str) -> float:
    """P(yes) that the sentence, read after the one before it, states the claim (0 if it names another side).
    The one judge behind verification and `rag eval`'s citation scoring."""
    if names_another_side(claim, sentence):
        return 0.0
    context = previous or "(start of the article)"
    return llm.probability_yes(prompt("judge", context=context, sentence=sentence, question=question, claim=claim))


def names_another_side(claim: str, sentence: str) -> bool:
    """True when the claim attributes something to a side ("pro-government sources ...") the sentence does not
    name: the 1.5B judge overlooks who says what, and in contested news that is half the fact."""
    return not _sides(claim) <= _sides(sentence)


def counterpart(sentence: Candidate, article: list) -> int | None:
    """Index of the sentence beside `sentence` (up to two away, in its article's catalogue rows) that gives
    another side's account when `sentence` gives one side's: "pro-opposition sources claim 20 killed" is half the
    story without the "pro-government sources deny" after it, and the small model often cites only one."""
    sides = _sides(sentence.text, ACCOUNT)
    if not sides:
        return None
    for step in (1, -1, 2, -2):
        index = sentence.index + step
        if 0 <= index < len(article) and _sides(article[index]["text"], ACCOUNT) - sides:
            return index
    return None


def _sides(text: str, pattern: re.Pattern[str] = SIDE) -> set[str]:
    """The sides ("pro-government", ...) the text names, or with ACCOUNT, those it gives an account of."""
    return {side.lower() for side in pattern.findall(text)}
