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
    #: a labelled table row's other cells its text may start with (``text_alt``)
    alts: tuple[str, ...] = ()


def flatten(outline: dict[str, Any]) -> list[Row]:
    """The outline's items in document order."""
    rows: list[Row] = []

    def walk(items: list[dict[str, Any]] | None, plan: int, parent: int | None) -> None:
        for item in items or []:
            text = item.get("text_start", item.get("text", ""))
            alts = tuple(text_key(t) for t in item.get("text_alt", ()))
            rows.append(Row(plan, number_value(item.get("number")), text_key(text), parent, alts))
            walk(item.get("children"), plan, len(rows) - 1)

    for i, plan in enumerate(outline.get("plans", [])):
        walk(plan.get("items"), i, None)
    return rows


def _starts_alike(x: str, y: str) -> bool:
    if not x or not y:
        return x == y
    return x.startswith(y) or y.startswith(x)


def same(a: Row, b: Row) -> bool:
    """Same number, and one text starts the other (a label may hold fewer characters); a
    labelled row's ``text_alt`` keys count as well."""
    if a.value != b.value:
        return False
    return any(_starts_alike(x, y) for x in (a.key, *a.alts) for y in (b.key, *b.alts))


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


# ---------------------------------------------------------------------------
# suggestions (units, deadline, period) against labelled metadata

FIELDS = ("lead_units", "units", "support_units", "deadline", "period")


def _norm_name(name: str) -> str:
    return unicodedata.normalize("NFKC", str(name)).replace(" ", "")


def _field_value(item: dict[str, Any], key: str) -> Any:
    value = item.get(key)
    if not value:
        return None
    if key.endswith("units"):
        return frozenset(_norm_name(v) for v in value)
    return str(value)


@dataclass
class MetadataScore:
    right: int = 0
    total: int = 0
    by_field: dict[str, list[int]] = field(default_factory=dict)  # field -> [right, total]
    wrong: list[str] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.right / self.total if self.total else 1.0

    def add(self, key: str, ok: bool, note: str) -> None:
        self.right += ok
        self.total += 1
        counts = self.by_field.setdefault(key, [0, 0])
        counts[0] += ok
        counts[1] += 1
        if not ok:
            self.wrong.append(note)

    def summary(self) -> str:
        fields = ", ".join(f"{k} {r}/{t}" for k, (r, t) in sorted(self.by_field.items()))
        return f"suggestions right {self.right}/{self.total} = {self.accuracy:.3f} ({fields}); wrong: {self.wrong[:6]}"


def score_metadata(gold: dict[str, Any], entries: list[dict[str, Any]], parsed: dict[str, Any],
                   result: MetadataScore | None = None) -> MetadataScore:
    """Every suggestion of every labelled item, counted strictly.

    For each labelled item the parser found, each field that the label states or the parser
    suggests counts once, and is right when both say the same (unit lists as sets of names).
    A suggestion on an item the labels give no metadata is therefore counted wrong.
    """
    result = result or MetadataScore()
    g, p = flatten(gold), flatten(parsed)
    pairs = dict(align(g, p))
    parsed_items = _items(parsed)
    gold_items = _items(gold)
    by_path = {}
    for index, (plan, path, item) in enumerate(gold_items):
        by_path.setdefault((plan, path), []).append((index, item))
    stated: dict[int, dict[str, Any]] = {}
    for entry in entries:
        path = tuple(number_value(n) for n in entry["path"])
        key = text_key(entry.get("text_start", ""))
        for index, item in by_path.get((entry["plan_index"], path), []):
            label_key = text_key(item.get("text_start", item.get("text", "")))
            if _starts_alike(label_key, key) or any(_starts_alike(text_key(t), key) for t in item.get("text_alt", ())):
                stated[index] = entry
                break
    for gi, pi in pairs.items():
        entry = stated.get(gi, {})
        item = parsed_items[pi][2]
        for key in FIELDS:
            want, got = _field_value(entry, key), _field_value(item, key)
            if want is None and got is None:
                continue
            name = f"{gold_items[gi][1]}:{key}={sorted(got) if isinstance(got, frozenset) else got}"
            result.add(key, want == got, name + f" (label {sorted(want) if isinstance(want, frozenset) else want})")
    return result


def _items(outline: dict[str, Any]) -> list[tuple[int, tuple[int | None, ...], dict[str, Any]]]:
    out: list[tuple[int, tuple[int | None, ...], dict[str, Any]]] = []

    def walk(items: list[dict[str, Any]] | None, plan: int, path: tuple[int | None, ...]) -> None:
        for item in items or []:
            here = path + (number_value(item.get("number")),)
            out.append((plan, here, item))
            walk(item.get("children"), plan, here)

    for i, plan in enumerate(outline.get("plans", [])):
        walk(plan.get("items"), i, ())
    return out
