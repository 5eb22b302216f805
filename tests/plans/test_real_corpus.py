"""The parser on the real documents of ``../shared/corpus``: task tables in every shape, plans in
one paragraph, units written after items, a real .xlsx task table.

The documents are other people's text and stay where they are; these tests read them in place
and skip, saying so, when the shared folder is not beside the project.
"""

from __future__ import annotations

import json

import pytest

from tests.plans import scoring
from tests.plans.corpus import REAL, SHARED, requires_shared
from tracker.plans import parse_document

pytestmark = requires_shared


def _labels() -> list[dict]:
    if not (REAL / "labels.json").is_file():
        return []
    return json.loads((REAL / "labels.json").read_text(encoding="utf-8"))


def _metadata() -> list[dict]:
    return json.loads((REAL / "metadata.json").read_text(encoding="utf-8"))


def _parse(name: str) -> dict:
    path = REAL / name
    return parse_document(path.read_bytes(), path.name).to_dict()


@pytest.mark.parametrize("entry", _labels(), ids=lambda entry: entry["file"][:2])
def test_outline(entry: dict) -> None:
    s = scoring.score({"plans": entry["plans"]}, _parse(entry["file"]))
    assert s.f1 >= 0.95, f"{entry['file']}: {s.summary()}"
    assert s.parent >= 0.95, f"{entry['file']}: {s.summary()}"


def test_suggestions() -> None:
    """Units, deadlines and periods suggested on the labelled items: right at least 85% of the time."""
    result = scoring.MetadataScore()
    entries = _metadata()
    for entry in _labels():
        mine = [e for e in entries if e["file"] == entry["file"]]
        scoring.score_metadata({"plans": entry["plans"]}, mine, _parse(entry["file"]), result)
    assert result.total >= 100
    assert result.accuracy >= 0.85, result.summary()


def test_word_auto_numbering_notice() -> None:
    """A real notice in Word whose numbers are Word's automatic numbering (numbering.xml)."""
    document = SHARED / "docx-auto-numbering-notice.docx"
    outline = parse_document(document.read_bytes(), document.name)
    gold = json.loads((SHARED / "docx-auto-numbering-notice.labels.json").read_text(encoding="utf-8"))
    s = scoring.score(gold, outline.to_dict())
    assert s.f1 >= 0.95 and s.parent >= 0.95, s.summary()
