"""Score a parsed outline against a hand-labelled one.

Items are identified by their number's value and the first characters of their
text (after NFKC, letters and digits only), aligned in document order by the
longest order-preserving matching; precision, recall and F1 count the aligned
items, and "parent" is the share of aligned items whose parent is also the
aligned counterpart of the labelled parent. Labels may hold ``text_start``
(the first characters) instead of the whole ``text``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

PREFIX = 6

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
              "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100}
_NUMBER_NOISE = re.compile(r"[\s()（）\[\]【】、.．:：,，]")
_NUMBER_WORDS = re.compile(r"^第|[是条点项章节部分]$")


def _cn_to_int(text: str) -> int | None:
    total, digit = 0, None
    for ch in text:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            total += (digit if digit is not None else 1) * _CN_UNITS[ch]
            digit = None
        else:
            return None
    return total + (digit or 0)


def number_value(token: Any) -> int | None:
    """'（一）' → 1, '12' → 12, '③' → 3, '一是' → 1, '第三条' → 3; None if not a number."""
    t = unicodedata.normalize("NFKC", str(token or "")).strip()
    t = _NUMBER_WORDS.sub("", _NUMBER_NOISE.sub("", t))
    if not t:
        return None
    if t.isdigit():
        return int(t)
    return _cn_to_int(t)


def text_key(text: Any) -> str:
    t = unicodedata.normalize("NFKC", str(text or ""))
    return "".join(ch for ch in t if ch.isalnum())[:PREFIX]


@dataclass(frozen=True)
class Row:
    plan: int
    value: int | None
    key: str
    parent: int | None  # index of the parent row, None at the top of a plan


def flatten(outline: dict[str, Any]) -> list[Row]:
    """The outline's items in document order."""
    rows: list[Row] = []

    def walk(items: list[dict[str, Any]] | None, plan: int, parent: int | None) -> None:
        for item in items or []:
            text = item.get("text_start", item.get("text", ""))
            rows.append(Row(plan, number_value(item.get("number")), text_key(text), parent))
            walk(item.get("children"), plan, len(rows) - 1)

    for i, plan in enumerate(outline.get("plans", [])):
        walk(plan.get("items"), i, None)
    return rows


def same(a: Row, b: Row) -> bool:
    """Same number, and one text starts the other (a label may hold fewer characters)."""
    if a.value != b.value:
        return False
    if not a.key or not b.key:
        return a.key == b.key
    return a.key.startswith(b.key) or b.key.startswith(a.key)


def align(gold: list[Row], parsed: list[Row]) -> list[tuple[int, int]]:
    """Longest order-preserving matching of labelled rows with parsed rows."""
    n, m = len(gold), len(parsed)
    best = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        row, below = best[i], best[i + 1]
        for j in range(m - 1, -1, -1):
            if same(gold[i], parsed[j]):
                row[j] = below[j + 1] + 1
            else:
                row[j] = below[j] if below[j] >= row[j + 1] else row[j + 1]
    pairs: list[tuple[int, int]] = []
    i = j = 0
    while i < n and j < m:
        if same(gold[i], parsed[j]) and best[i][j] == best[i + 1][j + 1] + 1:
            pairs.append((i, j))
            i, j = i + 1, j + 1
        elif best[i + 1][j] >= best[i][j + 1]:
            i += 1
        else:
            j += 1
    return pairs


@dataclass
class Score:
    gold_items: int
    parsed_items: int
    found: int
    precision: float
    recall: float
    f1: float
    parent: float
    gold_plans: int
    parsed_plans: int
    missed: list[tuple[int | None, str]] = field(default_factory=list)
    extra: list[tuple[int | None, str]] = field(default_factory=list)

    def summary(self) -> str:
        return (f"F1 {self.f1:.3f} parent {self.parent:.3f} plans {self.parsed_plans}/{self.gold_plans}"
                f" (missed {self.missed[:5]}, extra {self.extra[:5]})")


def score(gold: dict[str, Any], parsed: dict[str, Any]) -> Score:
    g, p = flatten(gold), flatten(parsed)
    pairs = align(g, p)
    to_parsed = dict(pairs)
    found = len(pairs)
    right_parent = sum(
        1 for gi, pi in pairs
        if (g[gi].parent is None and p[pi].parent is None)
        or (g[gi].parent is not None and to_parsed.get(g[gi].parent) == p[pi].parent)
    )
    matched_g = {gi for gi, _ in pairs}
    matched_p = {pi for _, pi in pairs}
    precision = found / len(p) if p else 0.0
    recall = found / len(g) if g else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Score(
        gold_items=len(g), parsed_items=len(p), found=found,
        precision=precision, recall=recall, f1=f1,
        parent=right_parent / found if found else 0.0,
        gold_plans=len(gold.get("plans", [])), parsed_plans=len(parsed.get("plans", [])),
        missed=[(g[i].value, g[i].key) for i in range(len(g)) if i not in matched_g],
        extra=[(p[j].value, p[j].key) for j in range(len(p)) if j not in matched_p],
    )
