"""The parser against hand-labelled plans: the seed web page and documents in other styles."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.plans import scoring
from tracker.plans import parse_text

DATA = Path(__file__).parent.parent / "data"

#: (text file, labels file, minimum F1, minimum parent share)
CASES = [
    ("seed-work-plans.txt", "seed-work-plans.labels.json", 0.98, 0.95),
]
OWN = sorted(p.name for p in (DATA / "plans").glob("*.txt")) if (DATA / "plans").is_dir() else []


def _score(text_name: str, labels_name: str) -> scoring.Score:
    text = (DATA / text_name).read_text(encoding="utf-8")
    gold = json.loads((DATA / labels_name).read_text(encoding="utf-8"))
    parsed = parse_text(text).to_dict()
    return scoring.score(gold, parsed)


@pytest.mark.parametrize(("text_name", "labels_name", "min_f1", "min_parent"), CASES)
def test_seed_page(text_name: str, labels_name: str, min_f1: float, min_parent: float) -> None:
    s = _score(text_name, labels_name)
    assert s.f1 >= min_f1, s.summary()
    assert s.parent >= min_parent, s.summary()
    assert s.parsed_plans == s.gold_plans == 5, s.summary()


@pytest.mark.parametrize("name", OWN)
def test_own_documents(name: str) -> None:
    s = _score(f"plans/{name}", f"plans/{name.removesuffix('.txt')}.labels.json")
    assert s.f1 >= 0.95, s.summary()
    assert s.parsed_plans == s.gold_plans, s.summary()


def test_own_documents_exist() -> None:
    assert len(OWN) >= 4
