"""A reproducible scale corpus for benchmarks (not tests): N articles built from the FA-KES export.

    python eval/make_scale_corpus.py --articles 10000 --out /tmp/scale-10k.jsonl [--seed 7]
        [--near-duplicates 0.05] [--boilerplate 0.3]

Each article is made of real FA-KES sentences, never paraphrased: the first half of one article's sentences and the
second half of another's (so no two generated articles are copies the deduplicator would merge, and splitting,
cleaning and embedding cost what real text costs), re-dated (moved by up to two years) and re-sourced (one of 40
outlet names), with a new id and title. Every original sentence recurs in ~N/400 articles, which is what a large
archive of one conflict looks like to BM25: more postings, not a bigger vocabulary. Controlled extras:
- `--near-duplicates` share of articles are near copies of an earlier generated one (one figure changed, or its
  last sentence dropped), as republished and altered stories are;
- `--boilerplate` share end with one of a few outlet footers (share/subscribe/copyright lines), which the cleaner
  must find as repeated boilerplate at scale.
The same seed gives the same corpus, byte for byte. Columns are FA-KES's (id, title, text, source, date, location).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import re
from pathlib import Path

FAKES = Path(__file__).resolve().parent / "corpora" / "fakes.jsonl"
OUTLETS = [f"{name} {kind}" for name in ("Levant", "Orient", "Euphrates", "Aleppo", "Damascus", "Idlib", "Homs",
           "Raqqa") for kind in ("Daily", "News", "Monitor", "Post", "Observer")]  # fmt: skip
FOOTERS = [
    "Share this article on Facebook and Twitter. Subscribe to our newsletter for daily updates.",
    "Copyright 2019 {outlet}. All rights reserved. Reproduction without permission is prohibited.",
    "Follow us on Telegram for breaking news. Support independent journalism: donate today.",
    "The views expressed in this article are the author's own and do not reflect the editorial policy of {outlet}.",
]
NUMBER = re.compile(r"\b\d{1,4}\b")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"])")


def generate(count: int, seed: int, near_share: float, boilerplate_share: float) -> list[dict]:
    rng = random.Random(seed)
    originals = [json.loads(line) for line in FAKES.read_text(encoding="utf-8").splitlines() if line.strip()]
    made: list[dict] = []
    for number in range(count):
        if made and rng.random() < near_share:
            row = dict(rng.choice(made))
            row["text"] = _altered(row["text"], rng)
        else:
            first, second = rng.sample(originals, 2)
            row = dict(first)
            row["text"] = _mixed(first["text"], second["text"])
            row["date"] = _moved(row.get("date"), rng)
            row["source"] = rng.choice(OUTLETS)
        row["id"] = f"scale-{seed}-{number:07d}"
        row["title"] = f"{row.get('title', '')} ({row['source']}, {number})"
        if rng.random() < boilerplate_share:
            row["text"] = f"{row['text']} {rng.choice(FOOTERS).format(outlet=row['source'])}"
        made.append(row)
    return made


def _mixed(first: str, second: str) -> str:
    """The first half of one article's sentences, then the second half of another's."""
    one, two = SENTENCE_END.split(first.strip()), SENTENCE_END.split(second.strip())
    return " ".join([*one[: max(1, len(one) // 2)], *two[len(two) // 2 :]])


def _moved(date: str | None, rng: random.Random) -> str | None:
    try:
        day = dt.date.fromisoformat(str(date)[:10])
    except ValueError:
        return date
    return (day + dt.timedelta(days=rng.randint(-730, 730))).isoformat()


def _altered(text: str, rng: random.Random) -> str:
    """One figure changed (as altered copies of a story do), or else the last sentence dropped."""
    figures = list(NUMBER.finditer(text))
    if figures and rng.random() < 0.5:
        figure = rng.choice(figures)
        return f"{text[: figure.start()]}{int(figure.group()) + rng.randint(1, 9)}{text[figure.end() :]}"
    cut = text.rstrip().rstrip(".").rfind(". ")
    return text[: cut + 1] if cut > len(text) // 2 else text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--near-duplicates", type=float, default=0.05)
    parser.add_argument("--boilerplate", type=float, default=0.3)
    args = parser.parse_args()
    rows = generate(args.articles, args.seed, args.near_duplicates, args.boilerplate)
    args.out.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    print(f"{len(rows)} articles -> {args.out} ({args.out.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
