"""Citation verification: every cited sentence must state the claim it is cited for, or the citation goes.

The judge is the local LLM asked a yes/no question, scored by P(yes) from one forward pass (no PyPI package
ships cross-encoder or NLI weights). A claim that keeps no supported citation is removed from the answer; a
claim the model left uncited is matched against the best-ranked sources before it is given up.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rag.generate import MARKER, NumberedSources
from rag.ingest.sentences import split_spans
from rag.llm import LLMClient, prompt

UNCITED_TRIES = 3  # sources tried for a claim the model did not cite


@dataclass
class Claim:
    """One sentence of the model's answer, its markers as the model wrote them and, after checking, the
    numbers that support it with their P(yes)."""

    text: str
    cited: list[int]
    supported: dict[int, float] = field(default_factory=dict)


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


def verify(llm: LLMClient, question: str, claims: list[Claim], sources: NumberedSources, threshold: float) -> None:
    """Fill each claim's `supported` with the cited (or, if uncited, best-matching) sources that back it."""
    for claim in claims:
        cited = [n for n in claim.cited if sources.get(n) is not None]
        if not cited:
            for number in sources.best_first[:UNCITED_TRIES]:
                score = _support(llm, question, claim.text, sources.sentences[number - 1].text)
                if score >= threshold:
                    claim.supported[number] = score
                    break
            continue
        for number in cited:
            score = _support(llm, question, claim.text, sources.sentences[number - 1].text)
            if score >= threshold:
                claim.supported[number] = score
        if not claim.supported and len(cited) > 1:  # a claim may need its sentences together ("X claims; Y denies")
            joined = " ".join(sources.sentences[n - 1].text for n in cited)
            score = _support(llm, question, claim.text, joined)
            if score >= threshold:
                claim.supported = dict.fromkeys(cited, score)


def _support(llm: LLMClient, question: str, claim: str, sentence: str) -> float:
    return llm.probability_yes(prompt("judge", sentence=sentence, question=question, claim=claim))
