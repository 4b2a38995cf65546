"""The answer stage: retrieved, ranked sentences in -> a checked, cited `Answer` out.

generate.py  the best sentences numbered for the model, one structured call: {"sources": [n], "answer": "..."}
check.py     rules in code: the short answer may only say what its cited sentences say, about what was asked
dates.py     relative and year-less days ("on Saturday", "18 July") made calendar dates from the article's date
between.py   "how many days between A and B" / "did A happen before B": two checked "when" answers, compared in code
hops.py      "the town where ...": the described thing's name asked first, then the question about it, both checked
counts.py    "how many in total in A and B" / "how many more in A than B": each count checked, the sum made in code
stage.py     `AnswerStage`: generate -> check -> cite (verbatim quotes of the cited sentences) -> render
types.py     `Answer`, `Citation`, `Progress`, `RetrievedPassage`: plain data for the API, CLI, UI and eval
"""

from rag.answer.types import Answer, AnswerMode, Citation, Progress, RetrievedPassage

__all__ = ["Answer", "AnswerMode", "Citation", "Progress", "RetrievedPassage"]
