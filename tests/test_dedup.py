from collections import Counter

from rag.config import Settings
from rag.ingest.clean import draft
from rag.ingest.dedup import group_duplicates
from rag.ingest.load import load_path
from rag.schema import SourceRecord
from tests.conftest import FAKES, SEEDS


def _groups(path):
    drafts = [draft(r) for r in load_path(path, Settings()) if isinstance(r, SourceRecord)]
    return group_duplicates(drafts, Settings())


def test_damaged_seed_copy_joins_the_full_story_which_stays_canonical():
    groups = _groups(SEEDS)
    assert len(groups) == 4
    (merged,) = [g for g in groups if g.copies]
    assert merged.canonical.record.path.endswith("001_de26e5de12a4771e.txt")
    ((copy, score, kind),) = merged.copies
    assert copy.record.path.endswith("000_52adbdfa8497fdcb.txt") and kind == "near" and score >= 0.9
    assert copy.source == "People's Daily Online"


def test_fakes_exact_and_near_duplicate_counts():
    kinds = Counter(kind for group in _groups(FAKES) for _, _, kind in group.copies)
    assert 12 <= kinds["exact"] <= 16
    assert 15 <= kinds["near"] <= 24


def _record(name: str, text: str) -> SourceRecord:
    return SourceRecord(path=name, locator=name, fmt="jsonl", text=text)


STORY = (
    "Government forces and allied militias repelled an attack by militants on the outskirts of the town of "
    "al-Sukhna late on Tuesday after several hours of heavy fighting in the desert, a military source said. "
    "The attackers used several vehicles equipped with heavy machine guns and approached from the east. "
    "Artillery and mortar fire forced the militants to retreat towards the desert areas south of the highway. "
    "Local sources said that the area remained tense on Wednesday morning as reinforcements arrived. "
)


def test_versions_reporting_different_figures_stay_separate():
    true_version = _record("a", STORY + "At least 20 soldiers were killed in the clashes.")
    altered = _record("b", STORY + "At least 2 soldiers were killed in the clashes.")
    copy = _record("c", STORY + "At least 20 soldiers were killed in the clashes. ")
    groups = group_duplicates([draft(r) for r in (true_version, altered, copy)], Settings())
    members = sorted(sorted([g.canonical.record.path] + [c[0].record.path for c in g.copies]) for g in groups)
    assert members == [["a", "c"], ["b"]]
