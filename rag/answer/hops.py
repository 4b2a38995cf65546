"""Two-step questions, split by code: a question that describes a town, group or person instead of naming it, and
asks something else about it ("The rebel group that manned the checkpoint near Azaz ... had been joined by which
faction?", "In November 2017 air strikes hit the market of a town west of Aleppo. How many had been killed when an
air strike hit that same town's market in April 2014?"), becomes two questions. The first asks the described
thing's name; its checked answer (the bridge) is written into the second in place of the description. Each is
answered, checked and cited by the answer stage on its own, so every step of the chain is stated by the sentences it
cites; if either step is not stated, neither is shown.

Only these shapes are split, the ones whose description can be cut out of the question without a parser:
- a description opening the question and closed by a colon ("The commander who ...: what condition ...?");
- a description opening the question, closed by the verb before its "which"/"what"/"whom" ("The group that ...
  had been joined by which faction?");
- a description at the end, after a preposition ("... evacuated from the besieged town where three women were
  killed?"), or a group named by its leader anywhere ("the faction led by Zahran Alloush");
- a sentence (or clause before ";") that introduces "a town ..." and a later question about "that same town", "that
  town" or "the town's ..." (the first question is the sentence with "a" turned into "which"), or whose first
  sentence opens with the description ("The group that SANA blamed for ... had also ...").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.answer.types import Answer, Citation, renumbered

KINDS = (
    r"town|city|village|district|neighbourhood|neighborhood|suburb|province|region|area|country|road|"
    r"group|faction|militia|brigade|battalion|coalition|alliance|movement|organi[sz]ation|force|forces|party|"
    r"commander|leader|official|spokesman|spokeswoman|cleric|man|woman|girl|boy|person|journalist|activist|minister"
)
# "the town where", "the rebel group that", "the faction led by", "the commander who", "the militia whose"
_RELATIVE = r"(?:where|whose|that|who|whom|which|near which|in which)"
# "rebel", "US-backed", not "core of the" or "girl from that"
_WORDS = r"(?:(?!(?:the|a|an|of|from|in|at|on|to|by|for|with|that|this|its|their)\b)[\w'-]+\s+){0,4}?"
_DESCRIBED = rf"(?:the|a|an)\s+{_WORDS}(?P<kind>{KINDS})\b,?\s+{_RELATIVE}\b"
# "the rebel faction led by Zahran Alloush": the description ends with the name
LED_BY = re.compile(
    rf"\b(?P<described>the\s+{_WORDS}(?P<kind>{KINDS})\s+(?:led|headed|run|commanded|founded)\s+by\s+"
    r"(?:[A-Z][\w'-]*\s+){0,3}[A-Z][\w'-]*)"
)
OPENING = re.compile(rf"^\s*(?P<described>{_DESCRIBED}.+?)\s*:\s*(?P<rest>.+)$", re.IGNORECASE | re.DOTALL)
# the verb that ends an opening description: the last auxiliary before the question's own "which"/"what"/"whom"
SUBJECT = re.compile(
    rf"^\s*(?P<described>{_DESCRIBED}.+)\s+(?P<rest>(?:had|has|have|was|were|is|are|did|does|do)\b.*?"
    r"\b(?:which|what|whom|who|how many|when|where)\b.*)$",
    re.IGNORECASE | re.DOTALL,
)
_PREPOSITION = r"(?:of|from|in|at|near|on|to|by|for|with|against|into)"
CLOSING = re.compile(
    rf"^(?P<head>.+?\s{_PREPOSITION}\s)(?P<described>{_DESCRIBED}.+?)\s*\?\s*$", re.IGNORECASE | re.DOTALL
)
# "a rebel-held town west of Aleppo", "a rebel group's checkpoint", "a certain town"
INTRODUCED = re.compile(rf"\b(?:a|an)\s+(?:certain\s+)?(?P<words>(?:[\w-]+\s+){{0,3}}?(?P<kind>{KINDS}))\b", re.I)
INTRODUCING_DEFINITE = re.compile(
    rf"^\s*(?P<described>{_DESCRIBED}.+?)\s+(?:had|has|have|was|were|is|are)\b", re.IGNORECASE | re.DOTALL
)
_BACK = r"(?:that same|the same|that|this)"


@dataclass(frozen=True)
class TwoSteps:
    """The two questions: `first` asks the described thing's name; `second` asks the rest, with {bridge} where that
    name goes. `kind` is the described thing ("town", "group")."""

    first: str
    second: str
    kind: str

    def second_with(self, bridge: str) -> str:
        return self.second.replace("{bridge}", bridge)


def parse(question: str) -> TwoSteps | None:
    """The two steps of a question of one of the shapes above, None for any other."""
    question = " ".join(question.split())
    return _introduced_then_asked(question) or _described(question)


def _asking_name(described: re.Match[str], second: str) -> TwoSteps:
    """The two steps when the question's own words describe the thing: "What is the name of <description>?", then
    `second`."""
    description = re.sub(r"^(?:the|a|an)\s+", "", described.group("described").strip(" ,"), flags=re.IGNORECASE)
    return TwoSteps(f"What is the name of the {description}?", second, described.group("kind").lower())


def _described(question: str) -> TwoSteps | None:
    opening = OPENING.match(question)
    if opening and _asks(opening.group("rest")):
        return _asking_name(opening, "{bridge}: " + opening.group("rest"))
    subject = SUBJECT.match(question)
    if subject:
        return _asking_name(subject, "{bridge} " + subject.group("rest"))
    led = LED_BY.search(question)
    if led:
        return _asking_name(led, question[: led.start()] + "{bridge}" + question[led.end() :])
    closing = CLOSING.match(question)
    if closing and _asks(closing.group("head")):
        return _asking_name(closing, closing.group("head") + "{bridge}?")
    return None


def _introduced_then_asked(question: str) -> TwoSteps | None:
    """ "A truck bomber struck a rebel group's checkpoint in January 2016. Whom did that same group's council
    appoint ...?": the first sentence (or clause before ";") asked with "which" for "a", the last with the name for
    "that same group"."""
    # sentences, and a clause before ";" ("a.m. on 4 April" ends no sentence)
    parts = [p.strip() for p in re.split(r"(?<=[a-z0-9)][.?!])\s+(?=[A-Z])|(?<=;)\s+", question) if p.strip()]
    if len(parts) < 2:
        return None
    introducing, asked = parts[0], parts[-1]
    if not _asks(asked):
        return None
    defined = INTRODUCING_DEFINITE.match(introducing)  # "The group that SANA blamed for ... had also bombarded ..."
    introduced = None if defined else INTRODUCED.search(introducing)
    if not (defined or introduced):
        return None
    kind = (defined or introduced).group("kind").lower()
    back = re.compile(rf"\b{_BACK}\s+(?:[\w-]+\s+)?{kind}\b|\bthe\s+{kind}'s", re.IGNORECASE)
    if not back.search(asked):
        return None
    second = back.sub(lambda m: "{bridge}'s" if m.group(0).endswith("'s") else "{bridge}", asked, count=1)
    if defined:
        return _asking_name(defined, second)
    first = introducing[: introduced.start()] + "which " + introduced.group("words") + introducing[introduced.end() :]
    first = re.sub(r"\bwhich\s+certain\s+", "which ", first.rstrip(".;!? ")) + "?"
    return TwoSteps(first[0].upper() + first[1:], second, kind)


def _asks(text: str) -> bool:
    return bool(re.search(r"\b(?:what|which|who|whom|whose|how|when|where)\b", text, re.IGNORECASE))


MAX_BRIDGE_WORDS = 6


def bridge(first: Answer, question: str) -> str | None:
    """The name the first step's checked answer gives ("Shamiya Front rebel group" -> "Shamiya Front"), or None when
    it gives none: not answered, no capitalised word, longer than a name, or a name the question already gives (a
    description answered with a name it contains describes nothing new)."""
    if first.mode != "generated" or not first.short_answer:
        return None
    words = first.short_answer.strip(" .,;:").split()
    while words and not _name_word(words[-1]):  # "Shamiya Front rebel group": the kind, not the name
        words.pop()
    name = " ".join(words)
    if not name or len(words) > MAX_BRIDGE_WORDS:
        return None
    if name.lower() in question.lower():
        return None
    return name


def combined(steps: TwoSteps, first: Answer, second: Answer) -> tuple[str, list[Citation], list[str]]:
    """The answer text, its citations and the chain: the second step's checked answer, then the first's, which
    names the described thing; markers renumbered so the two steps' citations do not collide."""
    (asked, described), citations, (second_markers, first_markers) = renumbered([second, first])
    chain = [
        f"{steps.first} → {first.short_answer} {first_markers}",
        f"{second.standalone_question} → {second.short_answer} {second_markers}",
    ]
    return f"{asked}\nThe {steps.kind} the question describes: {described}", citations, chain


def _name_word(word: str) -> bool:
    return word[:1].isupper() or bool(re.search(r"-[A-Z]", word))  # "Idlib", "al-Golani", "ez-Zor"
