"""Checks in code, before anything is shown: the short answer may only say what the sentences it cites say, and
must answer what was asked.

A 1.5B model invents numbers, counts the wrong thing, adds "according to ..." that no source makes, and answers a
question about one town and date from a sentence about another. A yes/no judge run by the same model let such
answers through (P(yes) 0.52 against a 0.5 bar), so each failure mode is a plain rule here:

- `stated_problems`: every number, date word and name of the answer appears in the sentences it cites (names may
  also come from the sentence before or after, or the article's title: "there" is often named one sentence
  earlier); most of its other content words do too; attribution ("according to", "claimed") appears only when the
  cited sentence carries it (`without_unsupported_attribution` first removes an "according to X" no source makes).
- `answer_problems`: the short answer is the kind of thing asked for: a count of the thing asked about (the
  number stands next to that noun in the cited sentence), a date for "when", a name for "who"/"where".
- `question_problems`: the question's names, numbers and dates are in the cited articles (or, for dates, their
  publication dates): an answer about another place or day does not answer the question.
- `relevant`: which cited sentences to quote beside the answer (those stating part of it).

Every rule says why it failed, so a withheld answer can be explained. Text is compared after `tokens`: lower
case, number words and ordinals as digits, quotes/dashes folded, "al-" dropped; a name also matches the corpus's
aliases and its other transliterations (`spelling`: "Idlib" / "Idleb").
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from rag.answer import dates
from rag.answer.dates import WEEKDAYS, parse_iso
from rag.ingest.sentences import split_spans
from rag.rank import Candidate

MARKER = re.compile(r"\[(\d{1,3})\]")
SIDE = re.compile(r"\bpro-[a-z]+", re.IGNORECASE)  # pro-government, pro-opposition, pro-Turkish, ...
# One side's account, not just a side named: "pro-opposition sources claim", "pro-government media outlets say".
ACCOUNT = re.compile(
    r"\b(pro-[a-z]+)(?:\s+[a-z]+)?\s+(?:sources|media|outlets|activists|reports|accounts|channels|journalists)\b",
    re.IGNORECASE,
)
# Words that attribute a statement to someone. A claim may use one only if its cited sentence uses the same one.
ATTRIBUTION_WORDS = {
    "claim": "claim",
    "claims": "claim",
    "claimed": "claim",
    "claiming": "claim",
    "allege": "allege",
    "alleged": "allege",
    "alleges": "allege",
    "allegedly": "allege",
    "deny": "deny",
    "denied": "deny",
    "denies": "deny",
    "according": "according",
    "reportedly": "report",
    "reported": "report",
    "reports": "report",
}
ACCORDING_TO = re.compile(r"\baccording to ([^,.;]+)", re.IGNORECASE)
CONTENT_SHARE = 0.6  # share of a claim's other content words that must be in its cited sentences


def _words(text: str) -> list[str]:
    return text.split()


MONTHS = _words("january february march april may june july august september october november december")
MONTH_ABBREVIATIONS = {m[:3]: m for m in MONTHS} | {"sept": "september"}
DATE_WORDS = set(MONTHS) | set(WEEKDAYS) | {"yesterday", "today", "tonight", "tomorrow"}

STOPWORDS = set(
    _words(
        """a an the and or but if then than that this these those there here of in on at to for from by with without
        about above below into onto over under after before during between among against through across around near
        as is are was were be been being has have had do does did doing not no nor so such very can could should
        would will shall may might must it its he she they them their theirs his her hers him we us our you your i
        me my who whom whose which what when where why how many much more most some any each every other another all
        both few also only just still even yet ever again further once same own too up down out off s t
        said says say told tell according reported reports report reportedly claim claims claimed
        killed kill kills killing dead died die dies death deaths people person
        article articles source sources sentence"""
    )
)
IRREGULAR_PLURALS = r"children|(?:wo)?men|people"  # plurals without an s: "how many children"
GENERIC_COUNTS = {"people", "persons", "person", "individuals", "times", "casualties", "victims", "others"}

ALIASES = [  # names the corpus writes several ways; any one satisfies the others
    {"isis", "isil", "daesh", "daish", "is", "islamic", "state"},
    {"nusra", "jabhat", "fateh"},
    {"hts", "hayat", "tahrir"},
    {"saa", "syrian", "syria"},
    {"us", "usa", "united", "american", "america", "washington"},
    {"uk", "britain", "british"},
    {"un", "united", "nations"},
    {"ypg", "kurdish", "kurds", "sdf"},
    {"ezzor", "ezzour", "zor", "zour"},  # Deir Ezzor, Deir ez-Zor, Deir al-Zor, Deir el-Zour
]
ALIAS_OF = {word: group for group in ALIASES for word in group}

_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"})
# a clock time ("22:33 18 Civilians Killed", a story's time stamp) is one token: its hours are no count
_TOKEN = re.compile(r"\b\d{1,2}:\d\d\b|[a-z0-9]+(?:[.,][0-9]+)*")
ORDINAL = re.compile(r"\d+(?:st|nd|rd|th)")
_UNITS = {
    word: value
    for value, word in enumerate(
        _words(
            "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
            "seventeen eighteen nineteen"
        )
    )
}
_TENS = {
    word: 10 * value for value, word in enumerate(_words("twenty thirty forty fifty sixty seventy eighty ninety"), 2)
}
_SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000, "dozen": 12, "dozens": 12}


@dataclass
class Claim:
    """One statement of an answer and the numbers of the sources it cites; after checking, `supported` maps the
    numbers that back it to a support score (1.0 for a check in code), and `problems` says why it was dropped."""

    text: str
    cited: list[int]
    supported: dict[int, float] = field(default_factory=dict)
    support_method: str = "checked in code"
    problems: list[str] = field(default_factory=list)


# --- normalisation ---------------------------------------------------------------------------------------------


def tokens(text: str) -> list[str]:
    """Lower-case word tokens with number words as digits ("twenty-one" -> "21", "a dozen" -> "12", "4th" -> "4"),
    thousands separators dropped, "al-" prefixes split off, quotes and dashes folded."""
    text = unicodedata.normalize("NFKC", text or "").translate(_QUOTES).lower()
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)
    raw = _TOKEN.findall(text.replace("-", " "))
    out: list[str] = []
    index = 0
    while index < len(raw):
        word = raw[index]
        if (word in _UNITS and word != "one") or word in _TENS:  # "one of the allies" is not a count
            total = _UNITS.get(word, 0) + _TENS.get(word, 0)
            if word in _TENS and index + 1 < len(raw) and raw[index + 1] in _UNITS and _UNITS[raw[index + 1]] < 10:
                total += _UNITS[raw[index + 1]]
                index += 1
            if index + 1 < len(raw) and raw[index + 1] in _SCALES and raw[index + 1] not in ("dozen", "dozens"):
                total *= _SCALES[raw[index + 1]]
                index += 1
            out.append(str(total))
        elif word in ("dozen", "dozens") and out and out[-1] == "a":
            out[-1] = "12"
        elif ORDINAL.fullmatch(word):  # "the 4th of April" gives the day "April 4" does
            out.append(word[:-2])
        else:
            out.append(word.rstrip(".,"))
        index += 1
    return [t for t in out if t and t != "al"]


def stem(word: str) -> str:
    """A crude stem that makes plural/verb forms and adjectives of places meet: "soldiers" ~ "soldier",
    "Syrian" ~ "Syria", "killing" ~ "killed"."""
    if word.isdigit() or len(word) <= 4:
        return word
    return word[:5]


def _stems(words: Iterable[str]) -> set[str]:
    return {stem(w) for w in words}


def _covered(word: str, text_stems: set[str], text_words: set[str]) -> bool:
    if word.isdigit():
        return word in text_words
    if stem(word) in text_stems or word in text_words:
        return True
    if any(alias in text_words for alias in ALIAS_OF.get(word, ())):
        return True
    key = spelling(word)
    return key is not None and any(spelling(w) == key and abs(len(w) - len(word)) <= 2 for w in text_words)


@functools.lru_cache(maxsize=65536)
def spelling(word: str) -> str | None:
    """What the transliterations of one Arabic name share ("Idlib" / "Idleb", "Hasaka" / "Hassakeh", "Shadadi" /
    "Shaddadi"): vowel runs as one mark, doubled letters once, no final "h". None for short or non-alphabetic
    words, whose skeletons would meet too many others."""
    if len(word) < 4 or not word.isalpha():
        return None
    key = re.sub(r"(.)\1+", r"\1", re.sub(r"[aeiou]+", "*", word)).removesuffix("h")
    return key if sum(c != "*" for c in key) >= 3 else None


# --- what a text contains ----------------------------------------------------------------------------------------


def numbers(text: str) -> list[str]:
    """Numbers in the text as digit strings (number words included), not years inside dates only."""
    return [t for t in tokens(text) if re.fullmatch(r"\d+(?:\.\d+)?", t)]


def names(text: str) -> list[str]:
    """Lower-cased words written with a capital letter that are not the first word of a sentence, stopwords or
    date words: the names of people, groups and places a statement is about."""
    found = []
    for start, end in split_spans(text) or [(0, len(text))]:
        words = re.findall(r"[A-Za-z][A-Za-z'\u2019-]*", text[start:end])
        for position, word in enumerate(words):
            capitalised = [piece for piece in word.split("-") if piece[:1].isupper() or piece[1:2].isupper()]
            if not capitalised:
                continue
            for part in tokens(" ".join(capitalised)):  # "US-backed" names the US, not "backed"
                if part in STOPWORDS or part in DATE_WORDS or part.isdigit():
                    continue
                if position == 0 and not (word.isupper() and len(word) > 1):
                    continue  # "Seven", "Pro-government": capitalised because they open the sentence
                found.append(part)
    return found


def date_words(text: str) -> list[str]:
    words = tokens(text)
    return [MONTH_ABBREVIATIONS.get(w, w) for w in words if w in DATE_WORDS or w in MONTH_ABBREVIATIONS]


def names_a_day(text: str) -> bool:
    """Whether `text` gives a day, not only a month or a year: "18 July", "July 18, 2013", "Tuesday", "yesterday"."""
    return bool(_days(text) or dates.RELATIVE_DAY.search(text) or re.search(r"\b\d{4}-\d\d-\d\d\b", text))


def day_given_for_another(question: str, short_answer: str, text: str) -> str | None:
    """The name the sentence gives the answer's day to, when the sentence first dates what the question asks about
    otherwise and then gives the day to a name the question does not use: "Ataybah near Damascus where a suspected
    attack was staged in March and Homs where chemical weapons are alleged to have been used on December 23" answers
    "when was the attack at Ataybah" with Homs's day. None when the day is not so given."""
    months = set(date_words(short_answer)) - set(WEEKDAYS)
    words, named = tokens(text), set(names(text))
    at = next((i for i, w in enumerate(words) if w in months), None)
    if at is None:
        return None
    asked = set(names(question))
    asked_stems = _stems(asked)
    before = next((i for i in range(at - 1, -1, -1) if words[i] in named), None)
    if before is None or _covered(words[before], asked_stems, asked):
        return None
    last_asked = next((i for i in range(before - 1, -1, -1) if _covered(words[i], asked_stems, asked)), None)
    if last_asked is None or words[last_asked] not in named:
        return None
    dated_between = any(w in DATE_WORDS or YEAR_TOKEN.fullmatch(w) for w in words[last_asked + 1 : before])
    return words[before] if dated_between else None


UNREALISED = frozenset(
    _words(
        "avert averting averted prevent preventing prevented possibility possible threat threatened threatening "
        "plan plans planned planning prepared preparing expected would could might"
    )
)
UNREALISED_REACH = 3  # words from the marker to the event it governs ("the possibility of averting the strike")


def _unrealised(question: str, sentence: str) -> str | None:
    """A word of the question's that the sentence writes only as averted, planned, threatened or possible ("Kerry
    made a hint at the possibility of averting the strike", "prepared for a punitive strike"): the day such a
    sentence gives is not the day it happened. None when every such word is also written as done."""
    words = tokens(sentence)
    asked = set(content_words(question)) - UNREALISED
    for word in dict.fromkeys(w for w in words if w in asked):
        at = [i for i, w in enumerate(words) if w == word]
        if all(UNREALISED & set(words[max(0, i - UNREALISED_REACH) : i]) for i in at):
            return word
    return None


def years(text: str) -> list[str]:
    return [t for t in tokens(text) if re.fullmatch(r"(19|20)\d\d", t)]


def content_words(text: str) -> list[str]:
    return [t for t in tokens(text) if t not in STOPWORDS and not t.isdigit() and len(t) > 2]


def attribution(text: str) -> set[str]:
    """The attribution words ("claim", "deny", "according", ...) and sides ("pro-government") a text uses."""
    found = {ATTRIBUTION_WORDS[t] for t in re.findall(r"[a-z]+", text.lower()) if t in ATTRIBUTION_WORDS}
    return found | {side.lower() for side in SIDE.findall(text)}


# --- the checks --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    """What a claim may draw on: the cited sentences (numbers must be there), and for names and date words also the
    sentences just before and after each and the article titles. Whether the answer is about what the question asks
    is judged against the cited articles as a whole (`articles`) and their publication dates."""

    sentences: str
    context: str
    published: tuple[date, ...] = ()
    articles: str = ""

    @classmethod
    def of(
        cls,
        cited: Sequence[Candidate],
        titles: Sequence[str] = (),
        dates: Sequence[str | None] = (),
        texts: Sequence[str] = (),
    ) -> Evidence:
        sentences = " ".join(c.text for c in cited)
        context = " ".join([*(c.previous for c in cited), *(c.following for c in cited), *titles])
        published = tuple(d for d in (parse_iso(x) for x in dates) if d)
        return cls(sentences, context, published, " ".join([*titles, *texts]))


def stated_problems(claim: str, evidence: Evidence) -> list[str]:
    """Why the claim (the short answer) is not stated by its evidence (empty = it is)."""
    problems = []
    said = tokens(evidence.sentences)
    said_words, said_stems = set(said), _stems(said)
    context = tokens(evidence.context)
    all_words = said_words | set(context)
    all_stems = said_stems | _stems(context)

    missing = [n for n in numbers(claim) if n not in said_words]
    if missing:
        problems.append(f"number(s) {', '.join(missing)} not in the cited sentence")
    missing = [d for d in date_words(claim) if d not in set(date_words(evidence.sentences + " " + evidence.context))]
    if missing:
        problems.append(f"date word(s) {', '.join(missing)} not in the cited sentence")
    missing = [n for n in dict.fromkeys(names(claim)) if not _covered(n, all_stems, all_words)]
    if missing:
        problems.append(f"name(s) {', '.join(missing)} not in the cited sentence")
    words = [w for w in dict.fromkeys(content_words(claim)) if w not in DATE_WORDS]
    if words:
        share = sum(_covered(w, all_stems, all_words) for w in words) / len(words)
        if share < CONTENT_SHARE:
            problems.append(f"only {share:.0%} of the claim's words are in the cited sentence")
    extra = attribution(claim) - attribution(evidence.sentences) - {"according"}
    if extra:
        problems.append(f"attribution ({', '.join(sorted(extra))}) the cited sentence does not make")
    for who in ACCORDING_TO.findall(claim):
        if not all(_covered(w, all_stems, all_words) for w in content_words(who)):
            problems.append(f"'according to {who.strip()}': the cited sentence does not say so")
    return problems


def relevant(answer: str, sentences: Sequence[str]) -> list[bool]:
    """Which cited sentences to quote: the fewest that together state every part of the answer they state (its
    numbers, names and content words), most-stating first. The model sometimes cites a sentence about the same
    event beside the one that gives the answer; quoting it would cite what does not support the answer. When none
    states any part (a bare "yes"), all are kept: the answer passed the checks against all of them together."""
    wanted = set([*numbers(answer), *content_words(answer), *names(answer)])
    stated = []
    for sentence in sentences:
        said = tokens(sentence)
        words, word_stems = set(said), _stems(said)
        stated.append({w for w in wanted if _covered(w, word_stems, words)})
    keep = [False] * len(sentences)
    covered: set[str] = set()
    for index in sorted(range(len(sentences)), key=lambda i: -len(stated[i])):
        if stated[index] - covered:
            keep[index] = True
            covered |= stated[index]
    return keep if any(keep) else [True] * len(sentences)


def without_unsupported_attribution(claim: str, evidence: Evidence) -> str:
    """The claim with an "According to X," lead-in (or ", according to X" ending) removed when the cited
    sentence does not name X: the figure is the cited sentence's, the attribution was the model's invention."""
    said = tokens(evidence.sentences + " " + evidence.context)
    words, word_stems = set(said), _stems(said)
    for match in ACCORDING_TO.finditer(claim):
        if all(_covered(w, word_stems, words) for w in content_words(match.group(1))):
            continue
        before, after = claim[: match.start()].rstrip(" ,"), claim[match.end() :].lstrip(" ,")
        rest = (before + (" " if before and after and after[0] not in ".;" else "") + after).strip()
        if rest:
            return rest[0].upper() + rest[1:]
    return claim


# "who", "where" and "when" ask only where a question or clause opens with them ("When did ...", "..., where did
# ...", "To whom ..."); elsewhere they open a relative clause ("the commander who ...", "killed when a bomb ..."),
# and a question about the names of those killed is not a question about a date.
_ASKS = r"(?:^|[,;:.?!]\s*|^(?:and|but|so|then|on|in|at|to|from|by|for|of|near|with|since|until|during)\s+)"
_NAMED_THINGS = (
    r"group|faction|organi[sz]ation|militia|person|commander|spokesman|spokeswoman|official|country|town|city|"
    r"village|province|movement|army|party|minister|leader|agency|outlet|newspaper|"
    r"institute|hospital|school|university|mosque|prison|airport|neighbou?rhood|district"
)
QUESTION_KIND = [
    ("count", re.compile(r"\b(how many|how much|(?:what|the) (?:total )?number of|death toll|what toll)\b", re.I)),
    ("date", re.compile(rf"(?:{_ASKS}when\b|\b(?:what|which) (?:date|day|month|year)\b)", re.IGNORECASE)),
    (
        "name",
        re.compile(
            rf"(?:{_ASKS}(?:who|whom|whose|where)\b|\b(?:which|what) (?:[\w-]+ )?(?:{_NAMED_THINGS})\b"
            r"|\bwhat (?:is|was|were|are) the names?\b)",
            re.IGNORECASE,
        ),
    ),
]


YEAR_TOKEN = re.compile(r"(?:19|20)\d\d")
ASKS_DAY = re.compile(r"\b(?:what|which) (?:date|day)\b", re.IGNORECASE)
# Longer than any right short answer to a one-part who/which/when/how-many question of the dev sets: a reply this
# long to such a question is a sentence copied whole, which names no answer of the kind asked. A question that asks
# two things ("Who was he, and where was he killed?") may get a longer one.
MAX_SHORT_ANSWER_WORDS = 12
ASKS_TWO_THINGS = re.compile(r"\band (?:who|whom|whose|where|when|what|which|how|why)\b", re.IGNORECASE)


def question_kind(question: str) -> str | None:
    question = question.strip()
    for kind, pattern in QUESTION_KIND:
        if pattern.search(question):
            return kind
    return None


def counted_noun(question: str) -> str | None:
    """The thing a "how many X" question counts ("How many Syrian soldiers ..." -> "soldiers"), None when generic
    or not a count."""
    match = re.search(
        rf"\bhow many (?:of (?:its|their|his|her) (?:own )?)?"  # "How many of its own fighters"
        rf"((?:[A-Za-z-]+ ){{0,2}}?(?:[a-z-]+s|{IRREGULAR_PLURALS}))\b",
        question,
        re.IGNORECASE,
    )
    if not match:
        return None
    noun = tokens(match.group(1))[-1] if tokens(match.group(1)) else None
    return None if noun is None or noun in GENERIC_COUNTS else noun


def coverage(claim: str, evidence: Evidence) -> float:
    """Share of the claim's content words, numbers and names that its evidence contains (shown as its support)."""
    said = tokens(evidence.sentences + " " + evidence.context)
    words, word_stems = set(said), _stems(said)
    wanted = list(dict.fromkeys([*content_words(claim), *numbers(claim)]))
    return sum(_covered(w, word_stems, words) for w in wanted) / len(wanted) if wanted else 1.0


GENERIC_HEADS = set(_words("gas agent agents substance substances weapon weapons kind type types thing things"))
# Who fired: "rebel shelling", "Syrian army helicopter fire", "strikes by the US-led coalition". A question that
# names one side as the attacker is not answered by a sentence that gives another side the attack.
ATTACKERS = {
    "rebels": _words("rebel rebels opposition insurgent insurgents"),
    "government": _words("army regime government loyalist loyalists"),
    "russia": _words("russian russia"),
    "the coalition": _words("coalition"),
    "turkey": _words("turkish turkey"),
    "the islamic state": _words("isis isil daesh"),
    "kurdish forces": _words("kurdish ypg sdf"),
    "israel": _words("israeli israel"),
}
ATTACKER_OF = {word: side for side, words in ATTACKERS.items() for word in words}
_ATTACK = (
    r"(?:shell(?:ing|s|ed)?|(?:air ?)?strikes?|(?:air ?)?raids?|jets?|warplanes?|planes?|aircraft|helicopters?|"
    r"gunfire|fire|bombardments?|bombing|rockets?|mortars?|artillery|drones?|barrel bombs?|missiles?)"
)
_SIDE = "|".join(sorted(ATTACKER_OF, key=len, reverse=True))
ATTACK_BY = re.compile(
    rf"\b({_SIDE})(?: [a-z]+){{0,2}}? {_ATTACK}\b"
    rf"|\b{_ATTACK}(?: [a-z]+){{0,3}}? by (?:the )?(?:[a-z]+ ){{0,2}}?({_SIDE})\b"
)


def _attackers(text: str) -> set[str]:
    """The sides the text names as firing or striking ("regime helicopters", "shelling by rebels"); a place they
    hold or back ("rebel-held", "US-backed") is no attack of theirs."""
    text = re.sub(r"\b[a-z]+-(?:held|controlled|run|backed|led|besieged|dominated)\b", " ", text.lower())
    text = " ".join(re.findall(r"[a-z]+", text))
    return {ATTACKER_OF[a or b] for a, b in ATTACK_BY.findall(text)}


def answer_problems(question: str, short_answer: str, evidence: Evidence) -> list[str]:
    """Why the short answer is not what the evidence says, or not the kind of thing the question asks for (a count
    of the thing asked about, a date for "when", a name for "who/which/where"); empty = it is fine."""
    missing = [n for n in numbers(short_answer) if n not in set(tokens(evidence.sentences))]
    if missing:
        return [f"the short answer's number(s) {', '.join(missing)} are not in the cited sentences"]
    answer_words = [w for w in tokens(short_answer) if w not in STOPWORDS]
    if answer_words and not any(w.isdigit() for w in answer_words):
        new_words = set(answer_words) - set(tokens(question))
        if not new_words:
            return ["the short answer only repeats words of the question"]
        if new_words <= GENERIC_HEADS:  # "Which chemical agent was used?" -> "chemical gas"
            return ["the short answer names nothing the question does not"]
    attackers = _attackers(question)
    said = _attackers(f"{evidence.sentences} {evidence.context}")
    if attackers and _attackers(evidence.sentences) and not attackers & said:
        return [
            f"the cited sentence gives the attack to another side than the question's ({', '.join(sorted(attackers))})"
        ]
    kind = question_kind(question)
    if kind and len(tokens(short_answer)) > MAX_SHORT_ANSWER_WORDS and not ASKS_TWO_THINGS.search(question):
        return ["the model copied a passage instead of giving the short answer asked for"]
    if kind == "count":
        found = numbers(short_answer)
        if not found:
            return ["a 'how many' question answered without a number"]
        if set(found) & _wholes(question):
            return ["the answer is the whole the question asks a part of"]
        noun, outcome = counted_noun(question), asked_outcome(question)
        whose = counted_group(question)
        groups = counted_groups(noun, whose)
        counted = (_counts(evidence.sentences, n, group, outcome, whose) for n in found for group in groups)
        if (noun or outcome) and not any(counted):
            asked = " ".join(part for part in (noun, outcome) if part)
            return [f"the number is not a count of {asked} in the cited sentence"]
    elif kind == "date":
        if not (date_words(short_answer) or years(short_answer)):
            return ["a 'when' question answered without a date"]
        if ASKS_DAY.search(question) and not names_a_day(short_answer):
            return ["an 'on what date' question answered without the day (a month or a year is another answer)"]
        other = day_given_for_another(question, short_answer, evidence.sentences)
        if other:
            return [f"the cited sentence gives that day for {other}, and another date for what the question asks"]
        unrealised = _unrealised(question, evidence.sentences)
        if unrealised:
            return [f"the cited sentence speaks of the {unrealised} as not (yet) done"]
    elif kind == "name" and not _written_as_name(short_answer, evidence):
        return ["a 'who/which/where' question answered without a name"]
    if kind in ("name", None) and ASKS_PERPETRATOR.search(question):
        if PERPETRATOR_UNKNOWN.search(evidence.articles):
            return ["the cited article says it is not known who did it"]
        if PERPETRATOR_OPEN.search(evidence.sentences):
            return ["the cited sentence leaves open who did it"]
    if kind == "name":
        problems = _claim_problems(question, evidence.sentences) + _role_problems(question, short_answer, evidence)
        return (
            problems + _person_problems(question, short_answer) + _possessor_problems(question, short_answer, evidence)
        )
    return _claim_problems(question, evidence.sentences) if kind is None else []


# "Which group claimed responsibility ...": only a sentence that reports a claim answers it, and not one that says
# none was made ("There was no immediate claim of responsibility, but X have carried out similar attacks").
ASKS_CLAIM = re.compile(
    r"\bclaim(?:s|ed)? (?:responsibility|credit)\b|\bclaim(?:s|ed)? (?:the|an|a) (?:attack|bombing|killing|strike)s?\b"
    r"|\bresponsib",
    re.I,
)
CLAIM_MADE = re.compile(r"\bclaim(?:s|ed|ing)?\b|\bresponsib|\badmitted\b", re.I)
NO_CLAIM = re.compile(
    r"\bno (?:immediate |official )?(?:claim|group|one|faction)\b|\b(?:not|never|yet to|has not|have not|had not|"
    r"did not|didn't|hasn't) (?:been )?(?:immediately )?(?:claim|claimed)\b|\bunclaimed\b|\bunclear\b|"
    r"\bnot (?:immediately )?(?:clear|known)\b|\bdenied\b",
    re.I,
)
# Roles a "who" question asks for ("Who is the director of ...", "Who commanded ..."): a sentence that gives the
# person in another role (a spokesman) does not answer it.
ROLES = _words(
    "director commander commanded commands spokesman spokeswoman spokesperson leader led leads head headed chief "
    "founder minister governor mayor president ambassador envoy emir deputy general colonel brigadier"
)
ROLE_STEMS = {  # one name per role: whoever commands, heads or leads a group leads it
    **dict.fromkeys(_words("commanded commands commander led leads leader head headed chief"), "lead"),
    **dict.fromkeys(_words("spokesman spokeswoman spokesperson"), "spokesperson"),
}


NAME_OF = re.compile(r"^\W*what (?:is|was|are|were) the names? of (?:the |a |an )?")
# "What was the name of the groom": a person is asked for, and "the Syrian Democratic Forces" is none
ASKS_PERSON = re.compile(
    r"^\W*(?:what (?:is|was) the (?:real |full )?names? of|who (?:is|was|were)) (?:the |a |an )?([a-z]+)", re.I
)
PERSONS = set(
    _words(
        "groom bride man woman boy girl child son daughter father mother brother sister wife husband pilot "
        "journalist reporter photographer doctor nurse driver priest imam cleric activist bomber gunman"
    )
)
ORGANISATION_HEADS = set(
    _words(
        "forces army front brigade brigades battalion battalions division regiment group groups council ministry "
        "observatory coalition agency government regime party movement organization organisation committee "
        "network militia militias units"
    )
)


def _written_as_name(short_answer: str, evidence: Evidence) -> bool:
    """Whether the short answer has a name that its evidence writes as one: "Technical institute" opens with a
    capital, but the sentence says "hitting a technical institute" (no name given)."""
    answer = set(names(short_answer)) | set(names(f"x {short_answer}"))
    capitalised = set(tokens(" ".join(re.findall(r"\b[A-Z][\w'-]*", f"{evidence.sentences} {evidence.context}"))))
    return any(_covered(n, _stems(capitalised), capitalised) for n in answer)


def _person_problems(question: str, short_answer: str) -> list[str]:
    asked = ASKS_PERSON.match(question)
    answer = tokens(short_answer)
    person = asked.group(1).lower() if asked else ""
    if person in PERSONS and answer and answer[-1] in ORGANISATION_HEADS:
        return [f"a question about a person ({person}) answered with an organisation"]
    return []


# "Whose funeral were the mourners attending?": the interrogative "whose", not a relative one ("the plane whose pilot")
ASKS_WHOSE = re.compile(rf"{_ASKS}whose ([A-Za-z-]+)", re.I)
POSSESSOR_REACH = 3  # words between the thing asked about and its owner ("Russian warplanes", "the funeral of Ali")


def _possessor_problems(question: str, short_answer: str, evidence: Evidence) -> list[str]:
    """A "whose X" answer must be written next to X in a cited sentence that names X ("Russian warplanes", "the
    funeral of the commander"), not elsewhere in it ("Three women ... were killed while attending a funeral" says
    nobody's)."""
    asked = ASKS_WHOSE.search(question)
    if not asked:
        return []
    words, thing = tokens(evidence.sentences), stem(tokens(asked.group(1))[0])
    at = [i for i, w in enumerate(words) if stem(w) == thing]
    owner = set(_stems(w for w in tokens(short_answer) if w not in STOPWORDS))
    near = {stem(w) for i in at for w in words[max(0, i - POSSESSOR_REACH) : i + POSSESSOR_REACH + 1]}
    if at and not owner & near:
        return [f"the cited sentence does not say whose {asked.group(1)} it was"]
    return []


DEPUTY = _words("deputy vice assistant")
ROLE_REACH = 8  # words either side of the answer's name in which its role is written ("Observatory director Rami")


def _role(word: str) -> str | None:
    """The role a word names, plurals too ("one of al-Nusra leaders"), one name per role; None if it names none."""
    if word not in ROLES and word.endswith("s") and word[:-1] in ROLES:
        word = word[:-1]
    return ROLE_STEMS.get(word, word) if word in ROLES else None


def _roles(words: list[str]) -> list[str]:
    """The roles the words give, one name per role; a deputy's is "deputy" ("deputy chief of staff" is no chief)."""
    return [
        "deputy" if index and words[index - 1] in DEPUTY else role
        for index, role in enumerate(map(_role, words))
        if role is not None
    ]


# "Which air force carried out the raid?": an article that says no one knows who did it answers no such question.
ASKS_PERPETRATOR = re.compile(
    r"\b(?:carried out|was behind|were behind|responsible for|launched|conducted|fired)\b", re.I
)
# ("It was unclear if Syrian regime warplanes or aircraft of its Russian allies carried out ..."): only in the
# cited sentence, since an article's "unclear whether the truce will hold" says nothing of who did this
PERPETRATOR_OPEN = re.compile(
    r"\b(?:unclear|not (?:yet |immediately )?(?:clear|known|confirmed)) (?:if|whether)\b", re.I
)
PERPETRATOR_UNKNOWN = re.compile(
    r"\b(?:unclear|not (?:yet |immediately )?(?:clear|known)|unknown) (?:who|which|whose)\b", re.I
)


def _claim_problems(question: str, sentences: str) -> list[str]:
    if not ASKS_CLAIM.search(question):
        return []
    if NO_CLAIM.search(sentences) or not CLAIM_MADE.search(sentences):
        return ["the cited sentence reports no claim of responsibility"]
    return []


def _role_problems(question: str, short_answer: str, evidence: Evidence) -> list[str]:
    """The role a who-question asks about must be given in the cited sentence or beside it; where the cited
    sentences name the answer, next to that name ("Col Haitham Afisi former FSA deputy chief of staff ... an
    al-Nusra leader" gives Afisi no leader's role)."""
    # the role next to the interrogative ("Who is the director of ..."), not one in a later clause ("the faction
    # led by ...", which says who the question is about)
    # ("What is the name of the division commander whom ...": the role is the head of the named thing)
    lowered = NAME_OF.sub("who is ", re.sub(r"-led\b", "", question.lower()), count=1)  # "US-led" names no leader
    interrogative, rest = re.match(r"\W*(\w*)(.*)", lowered, re.S).groups()
    if interrogative in ("where", "when", "how", "why"):
        return []
    opening = re.split(r"\b(?:of|in|at|on|for|that|who|whom|whose|which|when|after|during|by)\b", rest)[0]
    asked = {role for role in map(_role, tokens(f"{interrogative} {opening}")) if role is not None}
    if not asked:
        return []
    said = set(_roles(tokens(f"{evidence.sentences} {evidence.context}")))
    words, named = tokens(evidence.sentences), set(names(short_answer)) - set(names(question))
    at = [i for i, w in enumerate(words) if w in named]
    if at:
        said = set(_roles([w for i in at for w in words[max(0, i - ROLE_REACH) : i + ROLE_REACH + 1]]))
    missing = sorted(asked - said)
    return [f"the cited sentences do not give the role asked about ({', '.join(missing)})"] if missing else []


OUTCOMES = {  # what happened to the people counted, in the words the corpus uses
    "killed": _words(
        "killed killing kills kill dead died die dies death deaths lost eliminated massacred executed slain lives"
    ),
    "injured": _words("injured injuring injures injury injuries wounded wounding wounds hurt"),
    "held": _words("arrested arresting detained detaining captured capturing kidnapped abducted seized held"),
}
OUTCOME_OF = {word: outcome for outcome, words in OUTCOMES.items() for word in words}


def asked_outcome(question: str) -> str | None:
    """ "killed", "injured" or "held" when the question counts people that happened to; not the outcome of a
    clause that tells which event it is about ("How many air strikes ... in the raids that killed five")."""
    words = tokens(question)
    return next(
        (
            OUTCOME_OF[w]
            for i, w in enumerate(words)
            if w in OUTCOME_OF and words[i - 1 : i] not in (["that"], ["which"])
        ),
        None,
    )


def _outcome_of_number(words: list[str], index: int, reach: int = 14) -> str | None:
    """What the number at `index` counts, by the nearest outcome word: the word just before it, over "at least",
    "more than" ("killing 2 soldiers", "killed at least 60", "the lives of at least 32"), else the first one after it,
    read over a part of it ("20 people including 13 civilians were killed": 20 killed) but not over another count
    ("5 killed, 15 injured"). A part of an earlier count with no outcome word of its own ("Seven people were wounded
    ... three of them women") counts what that count counts."""
    before = index
    while before and words[before - 1] in QUALIFIERS:
        before -= 1
    if before > 1 and words[before - 1] == "of" and words[before - 2] in OUTCOME_OF:
        before -= 1
    if before and words[before - 1] in OUTCOME_OF:
        return OUTCOME_OF[words[before - 1]]
    following = words[index + 1 : index + 1 + reach]
    for position, word in enumerate(following):
        if word.isdigit() and not (position and following[position - 1] in PART_OF | {"and"}):
            break  # another count's outcome follows; "2 women and 2 soldiers" and "20 including 13" share one
        if word in OUTCOME_OF:
            return OUTCOME_OF[word]
    whole = _whole_of_part(words, index)
    return None if whole is None else _outcome_of_number(words, whole, reach)


PART_REACH = 30  # words back to the count a part belongs to ("Seven people were wounded in ... three of them women")


def _whole_of_part(words: list[str], index: int) -> int | None:
    """The nearest earlier count that the number at `index` is a part of, when it is written as one ("three of
    them", "of whom three", "among them three", "including three"); None otherwise."""
    is_part = words[index + 1 : index + 3] == ["of", "them"] or (index and words[index - 1] in PART_OF)
    if not is_part:
        return None
    earlier = range(index - 1, max(-1, index - 1 - PART_REACH), -1)
    return next((i for i in earlier if words[i].isdigit() and not _in_a_date(words, i)), None)


def counted_group(question: str) -> set[str]:
    """The names that say whose X a "how many X" question counts: "How many Russian soldiers" -> {"russian"},
    "How many fighters of the Kurdish YPG" -> {"kurdish", "ypg"}; empty when it does not say."""
    match = re.search(
        r"\bhow many ((?:[A-Za-z-]+ ){0,2}?[a-z-]+s)((?: of(?: the)?(?: (?-i:[A-Z])[\w-]*)+)?)", question, re.I
    )
    return set(names(f"x {match.group(1)}{match.group(2)}")) if match else set()


def _counts(
    text: str, number: str, noun: str | None, outcome: str | None, whose: set[str] = frozenset(), window: int = 4
) -> bool:
    """Whether `number` stands before `noun` (within a few words: "20 Syrian soldiers"; "15 others" counts too) and,
    when the question asks who was killed/injured/held, is the count of that outcome in the text. When the question
    says whose X it counts, a name between the number and X that the question does not use ("12 Islamist
    fighters" for "fighters of the Kurdish YPG") makes it the count of someone else's."""
    words = tokens(text)
    target = stem(noun) if noun else None
    named = set(names(text))
    for index, word in enumerate(words):
        if word != number or _in_a_date(words, index):
            continue
        after = words[index + 1 : index + 1 + window]
        if target and not any(_is_noun(w, noun) or w in ("others", "more") for w in after):
            continue
        before_noun = after[: next((i for i, w in enumerate(after) if target and _is_noun(w, noun)), 0)]
        if whose and any(w in named and not _covered(w, _stems(whose), whose) for w in before_noun):
            continue
        found = _outcome_of_number(words, index)
        if outcome is None or found is None or found == outcome:
            return True
    return False


def _wholes(question: str) -> set[str]:
    """The numbers a question gives as a whole it asks a part of ("Of the 30 people killed, how many were IS
    militants?"; "Among the 12 dead ...")."""
    words = tokens(question)
    return {
        w
        for i, w in enumerate(words)
        if w.isdigit() and i > 1 and words[i - 2 : i] in (["of", "the"], ["among", "the"])
    }


def _is_noun(word: str, noun: str) -> bool:
    """Whether the word names the counted noun: its forms ("soldier", "soldiers") or a compound ending in it
    ("airstrikes" for strikes)."""
    return stem(word) == stem(noun) or (len(noun) > 4 and word.endswith(noun))


def _in_a_date(words: list[str], index: int) -> bool:
    """Whether the number at `index` is a day or a year of a date ("Thursday 6 Mar 2014", "March 6"), not a count."""
    word = words[index]
    if YEAR_TOKEN.fullmatch(word):
        return True
    near = {MONTH_ABBREVIATIONS.get(w, w) for w in words[max(0, index - 1) : index + 2]}
    return int(word) <= 31 and bool(near & set(MONTHS)) if word.isdigit() else False


def question_problems(question: str, evidence: Evidence) -> list[str]:
    """Why the cited articles are not about what the question asks (empty = they are): the question's names and
    numbers must be in the cited sentences or their articles, its dates in the cited sentences, their neighbours
    and titles, the publication dates or the days the relative day words there name from them ("on Saturday" in a
    story of Sunday 16 April). (Names within one sentence were too strict: FA-KES questions name the place that
    the article gives once, in another sentence, and 20 right answers on the dev split were refused.)"""
    text = " ".join((evidence.sentences, evidence.context, evidence.articles))
    said = tokens(text)
    words, word_stems = set(said), _stems(said)
    problems = []
    missing = [n for n in dict.fromkeys(names(question)) if not _covered(n, word_stems, words)]
    if missing:
        problems.append(f"the cited articles do not mention {', '.join(missing)}")
    elsewhere = _placed_elsewhere(question, evidence, missing)
    if elsewhere:
        problems.append(elsewhere)
    # The asked day, month and year must be the publication date's, or be said in the cited sentences, beside them
    # or in the title (or be the days these name: "on Saturday"); elsewhere in the article only a month and day that
    # no other year follows count: nearly every FA-KES story recalls that the war "began in March 2011".
    near = " ".join((evidence.sentences, evidence.context))
    days = {*evidence.published, *(day for p in evidence.published for day in dates.days_named(near, p))}
    published = {w for d in days for w in _date_tokens(d)}
    asked_years, asked_days = set(years(question)), set(_days(question))
    # an asked day is said as a day ("2 October", "2017-10-02"), not as a count ("Two suicide bombers")
    iso_days = {parse_iso(found) for found in dates.ISO_DATE.findall(near)}
    days_said = {*_days(near), *(str(day.day) for day in iso_days if day)}
    counts = set(numbers(near)) - asked_days
    words_said = set(date_words(near))
    dates_said = words_said | days_said | counts | _undated_elsewhere(evidence.articles, asked_years)
    asked_dates = [*date_words(question), *asked_years, *asked_days]
    missing = [d for d in dict.fromkeys(asked_dates) if d not in dates_said and d not in published]
    if missing:
        problems.append(f"the cited articles are not about {' '.join(missing)}")
    # a total over a whole month or year is that period's only where the cited sentences name it: the story's date
    # dates one episode ("18 airstrikes since Sunday night" in a story of 24 April is no toll for all of April)
    whole_period = WHOLE_PERIOD.search(question)
    if whole_period:
        unnamed = [d for d in (*date_words(question), *asked_years) if d not in words_said | set(years(near))]
        if unnamed:
            problems.append(f"the cited sentences give no total for the whole of {' '.join(unnamed)}")
    # a count asked for one day is not a total over days ("about 47 barrel bombs in less than two weeks")
    if question_kind(question) == "count" and (asked_days or dates.RELATIVE_DAY.search(question)):
        span = PERIOD_SPAN.search(evidence.sentences)
        if span and not whole_period and not PERIOD_SPAN.search(question):
            problems.append(f"the cited sentence gives a total {span.group(0).lower()}, the question asks one day")
    other = [n for n in numbers(question) if n not in asked_years | asked_days]
    missing = [n for n in dict.fromkeys(other) if n not in words]
    if missing:
        problems.append(f"the cited articles do not mention {', '.join(missing)}")
    return problems


PLACE_PREPOSITIONS = ("in", "near", "at", "on", "outside")
# "near the city of Deir el-Zour": the place is the name after "the <kind> of"
PLACE_KINDS = frozenset(_words("city town village neighbourhood neighborhood district camp suburb"))


def _placed_elsewhere(question: str, evidence: Evidence, missing: list[str]) -> str | None:
    """Why an event's sentence is about another place: a question about an event (a count, a day, who did it)
    whose names the cited article has only away from the cited sentence and its neighbours, while the sentence
    places what it reports somewhere the question does not name ("Three people were injured when terrorists fired
    a rocket shell on Bab Touma neighborhood in Damascus" for rockets on Aleppo's al-Sulimaniah). Not for other
    questions: a person's "real name" is given in a sentence about his life "in Afghanistan"."""
    if question_kind(question) not in ("count", "date") and not ASKS_PERPETRATOR.search(question):
        return None
    near = tokens(f"{evidence.sentences} {evidence.context}")
    near_stems, near_words = _stems(near), set(near)
    asked = list(dict.fromkeys(names(question)))
    far = [n for n in asked if n not in missing and not _covered(n, near_stems, near_words)]
    asked_stems, asked_words = _stems(asked), set(asked)
    other = [
        " ".join(place)
        for place in dict.fromkeys(_places(evidence.sentences))
        if not any(_covered(word, asked_stems, asked_words) for word in place)
    ]
    if far and other:
        return f"the cited sentence is about {', '.join(other)}; the article names {', '.join(far)} elsewhere"
    return None


def _places(text: str) -> list[tuple[str, ...]]:
    """The names a preposition places something at, each a run of names ("on Bab Touma", "in Syrias Hasakeh city":
    the country qualifies the city, so a question naming either is about that place; "near the city of Deir el-Zour"
    places it at Deir); a month is none ("on Jan. 25")."""
    named, words = set(names(text)) - set(MONTH_ABBREVIATIONS), tokens(text)
    found = []
    for index, word in enumerate(words[:-1]):
        if word not in PLACE_PREPOSITIONS:
            continue
        start = index + 1
        opening = words[start : start + 3]
        if len(opening) == 3 and opening[0] == "the" and opening[1] in PLACE_KINDS and opening[2] == "of":
            start += 3
        end = start
        while end < len(words) and words[end] in named:
            end += 1
        if end > start:
            found.append(tuple(words[start:end]))
    return found


def _undated_elsewhere(text: str, asked_years: set[str]) -> set[str]:
    """Months and day numbers the text names without a year, or with one of the asked years ("On March 17, ..." in
    a question about March 17; not the March of "began in March 2011" in one about March 2017)."""
    words = tokens(text)
    found: set[str] = set()
    for index, word in enumerate(words):
        month = MONTH_ABBREVIATIONS.get(word, word)
        if month not in MONTHS:
            continue
        around = words[max(0, index - 2) : index + 4]
        year = next((w for w in around if YEAR_TOKEN.fullmatch(w)), None)
        if year is None or year in asked_years:
            found.add(month)
            found.update(w for w in around if w.isdigit() and 1 <= int(w) <= 31)
    return found


def _days(text: str) -> list[str]:
    """Day numbers written next to a month ("March 18", "18 March")."""
    words = tokens(text)
    days = []
    for index, word in enumerate(words):
        if word.isdigit() and 1 <= int(word) <= 31:
            neighbours = words[max(0, index - 1) : index] + words[index + 1 : index + 2]
            if words[index + 1 : index + 2] == ["of"]:  # "the 4th of April"
                neighbours += words[index + 2 : index + 3]
            if any(MONTH_ABBREVIATIONS.get(n, n) in MONTHS for n in neighbours):
                days.append(word)
    return days


_PERIOD = rf"(?:{'|'.join(MONTHS)}|(?:19|20)\d\d)\b"
# a span of days a figure totals: "in less than two weeks", "over the past three days", "in the last month"
# ("the worst attack in years" totals nothing: a span needs a length or a "last / past")
_SPAN_COUNT = r"(?:\d+|two|three|four|five|six|seven|eight|nine|ten|several|a few|few) "
PERIOD_SPAN = re.compile(
    r"\b(?:(?:in|over|during) (?:the )?(?:(?:last|past|first|less than|more than|nearly|almost|just over) "
    rf"(?:{_SPAN_COUNT})?|{_SPAN_COUNT})(?:days|weeks|months|years)"
    r"|(?:in|over|during) the (?:last|past) (?:week|month|year))\b",
    re.IGNORECASE,
)
WHOLE_PERIOD = re.compile(
    rf"\b(?:(?:over|during|in|for|across) (?:the )?(?:whole|entire|full|all) (?:of )?(?:the )?(?:month of )?"
    rf"|throughout (?:the month of )?|in all of ){_PERIOD}",
    re.IGNORECASE,
)


def _date_tokens(day: date) -> set[str]:
    return {str(day.year), MONTHS[day.month - 1], str(day.day), WEEKDAYS[day.weekday()]}


# --- claims from free text (eval, extractive answers) ------------------------------------------------------------


def split_claims(answer: str) -> list[Claim]:
    """The sentences of an answer text with the [n] markers each carries (markers standing alone belong to the
    sentence before)."""
    claims: list[Claim] = []
    for start, end in split_spans(answer):
        piece = answer[start:end]
        cited = list(dict.fromkeys(int(n) for n in MARKER.findall(piece)))
        text = " ".join(MARKER.sub("", piece).split()).replace(" .", ".").replace(" ,", ",").replace(" ;", ";")
        if text.strip(" .;,"):
            claims.append(Claim(text=text, cited=cited))
        elif cited and claims:
            claims[-1].cited.extend(n for n in cited if n not in claims[-1].cited)
    return claims


def counterpart(sentence: Candidate, article: list) -> int | None:
    """Index of the sentence beside `sentence` (up to two away, in its article's catalogue rows) that gives
    another side's account when `sentence` gives one side's: "pro-opposition sources claim 20 killed" is half the
    story without the "pro-government sources deny" after it."""
    sides = _sides(sentence.text, ACCOUNT)
    if not sides:
        return None
    for step in (1, -1, 2, -2):
        index = sentence.index + step
        if 0 <= index < len(article) and _sides(article[index]["text"], ACCOUNT) - sides:
            return index
    return None


# Not another account of the same toll: one revised over time ("the toll rose to 30", "an earlier toll of 20"), a
# total over a period ("79 killed over the last 48 hours", "37 since the offensive began"), or another event's
# ("Separate air strikes ... killed 12", "Another seven people were killed in raids further north").
NOT_THE_SAME_TOLL = re.compile(
    r"\b(?:rose|risen|rising|climbed|increased|raised|raising|(?<!last )updated|revised|earlier toll|new toll|"
    r"preliminary|initial toll|first toll|total|totaled|totalled|since|so far|in all|overall|to date|"
    r"(?:over|in|during) the (?:last|past)|this (?:week|month|year)|separate|separately|another|elsewhere)\b",
    re.IGNORECASE,
)
# An account that nobody was killed: the other side of a death toll ("the Observatory said there were no deaths").
NO_DEATHS = re.compile(
    r"\bno (?:one|deaths?|casualties|fatalities|victims|losses)\b(?: (?:was|were|had been) killed)?"
    r"|\bden(?:y|ies|ied) (?:any )?(?:casualties|deaths|losses|fatalities)\b",
    re.IGNORECASE,
)
SPEECH = re.compile(
    r"\b(?:said|says|reported|reports|gave|told|confirmed|claimed|claims|claim|revealed|announced|stated|added)\b"
)
SPEAKER_WORDS = 10  # a speaker is named in at most this many words before the speech verb
TIME_WORDS = {*WEEKDAYS, *MONTHS, *_words("yesterday today tonight morning afternoon evening night late early")}
QUALIFIERS = set(_words("at least more than about some nearly almost up to over around roughly"))
PART_OF = set(_words("including them whom"))  # "... killed, including 5 policemen", "among them 13 police officers"
COMBATANTS = ("militants", "terrorists", "fighters", "jihadists", "insurgents", "gunmen", "extremists")
SAME_GROUP = {  # the corpus's other words for a counted group (SANA's "terrorists" are others' "militants")
    "officers": ("policemen", "police"),
    "policemen": ("officers", "police"),
    "soldiers": ("troops", "servicemen"),
    "troops": ("soldiers", "servicemen"),
    **{word: tuple(other for other in COMBATANTS if other != word) for word in COMBATANTS},
}


def counted_groups(noun: str | None, whose: set[str]) -> set[str | None]:
    """The words a sentence may use for what a "how many" question counts (`counted_noun`, `counted_group`): its
    noun and the corpus's other words for it; a fighter's other words only when the question does not say whose
    ("fighters of the Kurdish YPG": a sentence's "terrorists" could be anyone's)."""
    if noun in COMBATANTS and whose:
        return {noun}
    return {noun, *SAME_GROUP.get(noun or "", ())}


def tolls(question: str, sentence: str) -> list[str]:
    """The figures `sentence` gives for what a "how many were killed/injured/held" question counts, read strictly:
    each number that is that outcome's own count and counts the asked group ("38 civilians killed", "killed at
    least 60", "the lives of at least 32"), or the account that no one was killed ("no deaths"). Empty when the
    sentence revises a toll over time, totals a period, or is about another event, or the question counts nothing.
    A sentence that gives another toll than the answer's is another source's account of it; whether it is about
    the question's event is for the same gates as any answer (`question_problems`)."""
    outcome = asked_outcome(question)
    if question_kind(question) != "count" or outcome is None or NOT_THE_SAME_TOLL.search(sentence):
        return []
    denial = NO_DEATHS.search(sentence) if outcome == "killed" else None
    if denial:
        return [denial.group(0).lower()]
    noun, whose = counted_noun(question), counted_group(question)
    groups = counted_groups(noun, whose)
    words = tokens(sentence)
    found = []
    for index, word in enumerate(words):
        if not word.isdigit() or word.startswith("0") or _in_a_date(words, index):
            continue  # ("Oct 042017": a date run together)
        if words[index + 1 : index + 2] in (["more"], ["others"], ["other"]):
            continue  # "Five more civilians were killed in Sabqa": a toll beside this one, not of it
        # the number must be that outcome's own count ("38 civilians killed"), not one beside it ("20 killed
        # including 13 civilians"), unless the question counts that very group ("15 died including five policemen")
        if not noun and _whole_of_part(words, index) is not None:
            continue
        if _outcome_of_number(words, index) != outcome:
            continue
        if any(_counts(sentence, word, group, None, whose) for group in groups):
            found.append(word)
    return list(dict.fromkeys(found))


def speaker(sentence: str) -> str:
    """Who the sentence says gives its account, in its own words ("... province a monitor said" -> "a monitor",
    "according to SANA" -> "SANA"); "" when it names no one (or only "he", "they")."""
    according = ACCORDING_TO.search(sentence)
    if according:  # up to where a clause starts ("according to report ISIS has executed ...": none named)
        who = re.split(r"\b(?:has|have|had|is|was|were|said|says)\b", according.group(1))[0].split()
        return " ".join(who) if who == according.group(1).split() and len(who) <= SPEAKER_WORDS else ""
    verbs = list(SPEECH.finditer(sentence))
    if not verbs:
        return ""
    if sentence[: verbs[-1].start()].rstrip().endswith(('"', "\u201d")):  # '"... were killed" said Abdel Rahman'
        after = re.match(r"\s*((?:(?:the|a|an) )?(?:[\w'-]+ ?){1,4})", sentence[verbs[-1].end() :])
        return " ".join(after.group(1).split()) if after else ""
    before = re.findall(r"[\w'-]+", sentence[: verbs[-1].start()])[-SPEAKER_WORDS:]
    times = [i for i, w in enumerate(before) if w.lower() in TIME_WORDS or w.isdigit()]
    before = before[times[-1] + 1 :] if times else before  # "... on Wednesday opposition activists said"
    determiners = [i for i, w in enumerate(before) if w.lower() in ("the", "a", "an")]
    opening = determiners.pop() if determiners else 0
    while opening and determiners and before[opening - 1].lower() in ("at", "in", "of", "for", "from", "with"):
        opening = determiners.pop()  # "A spokesman at the hospital said": the spokesman, not the hospital
    words = before[opening:]
    if not words or words[-1].lower() in ("he", "she", "it", "they", "we", "i", "who", "which", "that"):
        return ""
    return " ".join(words)


def disagreeing_sides(quoted: list[str]) -> list[str]:
    """The sides ("pro-government", "pro-opposition") whose own accounts the quoted sentences give, when there are
    two or more: the answer then reports a dispute, not a fact, and is marked so."""
    sides = set().union(*(_sides(text, ACCOUNT) for text in quoted)) if quoted else set()
    return sorted(sides) if len(sides) > 1 else []


def _sides(text: str, pattern: re.Pattern[str] = SIDE) -> set[str]:
    return {side.lower() for side in pattern.findall(text)}
