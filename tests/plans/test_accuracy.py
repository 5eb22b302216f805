"""The parser against hand-labelled plans: the seed web page and documents in other styles."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from tests.plans import scoring
from tracker.plans import parse_document, parse_text

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


@pytest.mark.parametrize(
    ("doc_name", "labels_name"),
    [
        ("readers/auto-numbering-task-table.docx", "readers/auto-numbering-task-table.labels.json"),
    ],
)
def test_word_documents(doc_name: str, labels_name: str) -> None:
    """Word's automatic numbers and task-table rows, through the readers."""
    outline = parse_document((DATA / doc_name).read_bytes(), Path(doc_name).name)
    gold = json.loads((DATA / labels_name).read_text(encoding="utf-8"))
    s = scoring.score(gold, outline.to_dict())
    assert s.f1 >= 0.95, s.summary()
    assert s.parent >= 0.95, s.summary()


SUGGESTION_KEYS = ("lead_units", "units", "support_units", "leaders", "deadline", "period")


def _items(outline: dict) -> list[dict]:
    out: list[dict] = []

    def walk(items: list[dict]) -> None:
        for item in items:
            out.append(item)
            walk(item.get("children") or [])

    for plan in outline["plans"]:
        walk(plan["items"])
    return out


@pytest.mark.parametrize("name", ["readers/auto-numbering-task-table.docx",
                                  "plans/county-livelihood-table-web.txt",
                                  "plans/district-tasks-pasted-from-word.txt"])
def test_task_table_suggestions_match_labels(name: str) -> None:
    """Each row of a task table states its units, deadline or rhythm: all of them are suggested."""
    outline = parse_document((DATA / name).read_bytes(), Path(name).name).to_dict()
    name = name.rsplit(".", 1)[0]
    gold = _items(json.loads((DATA / f"{name}.labels.json").read_text(encoding="utf-8")))
    parsed = _items(outline)
    assert len(parsed) == len(gold)
    checked = 0
    for want, got in zip(gold, parsed, strict=True):
        for key in SUGGESTION_KEYS:
            if key in want:
                assert got.get(key) == want[key], (want.get("text_start", want.get("text")), key)
                checked += 1
    assert checked >= 8
    if gold and "leaders" in str(gold):
        assert any(item.get("leaders") for item in parsed)


# -- the scorer itself, on hand-made outlines ------------------------------------------

SMALL_GOLD = {"plans": [{"title": "计划", "items": [
    {"number": "一", "text_start": "指导思想", "children": []},
    {"number": "二", "text_start": "主要任务", "children": [
        {"number": "1", "text_start": "加强组织领导", "children": []},
        {"number": "2", "text_start": "完善工作机制", "children": []},
    ]},
]}]}


def _parsed() -> dict:
    """The gold outline as a parser would write it: full texts, half-width forms."""
    out = copy.deepcopy(SMALL_GOLD)
    for item in out["plans"][0]["items"]:
        item["text"] = item.pop("text_start") + "，并做好相关工作。"
        for child in item["children"]:
            child["text"] = child.pop("text_start") + "。"
    return out


def test_scoring_perfect_outline_scores_one() -> None:
    s = scoring.score(SMALL_GOLD, _parsed())
    assert (s.precision, s.recall, s.f1, s.parent) == (1.0, 1.0, 1.0, 1.0)
    assert (s.gold_plans, s.parsed_plans) == (1, 1)


def test_scoring_missing_item_lowers_recall() -> None:
    out = _parsed()
    del out["plans"][0]["items"][1]["children"][1]
    s = scoring.score(SMALL_GOLD, out)
    assert s.precision == 1.0 and s.recall == 0.75
    assert s.missed == [(2, "完善工作机制")]


def test_scoring_extra_item_lowers_precision() -> None:
    out = _parsed()
    out["plans"][0]["items"].append({"number": "110", "text": "119、120电话。", "children": []})
    s = scoring.score(SMALL_GOLD, out)
    assert s.recall == 1.0 and s.precision == 0.8
    assert s.extra == [(110, "119120")]


def test_scoring_wrong_parent_lowers_parent() -> None:
    out = _parsed()
    items = out["plans"][0]["items"]
    items.append(items[1]["children"].pop())  # 2 moved up to the top level
    s = scoring.score(SMALL_GOLD, out)
    assert s.f1 == 1.0
    assert s.parent == 0.75


def test_scoring_number_values_and_text_keys() -> None:
    assert [scoring.number_value(t) for t in ("（一）", "12", "③", "一是", "第三条", "1)", "x")] == \
        [1, 12, 3, 1, 3, 1, None]
    assert scoring.text_key("（１）ＡＢ，加强 领导！") == "1AB加强领"
