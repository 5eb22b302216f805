"""Report quality: near-copies of earlier reports, and evidence that proves the wrong period.

Pure (no Flask, no database): ``tracker.burden.queries`` feeds it the texts and periods.

How two reports are compared. Chinese has no spaces between words, and most words are two
characters long, so a text is read as the set of its character bigrams after NFKC folding and
dropping whitespace and punctuation (a copy that only changes 。 into ； or adds line breaks is
still a copy). The score is ``difflib.SequenceMatcher.ratio`` on the folded texts: it is what
"word for word" means (the characters in the same order, edits counted), it needs no word
segmenter, and it is exact on short texts. It is also quadratic, so two cheap guards run first:

- length: ratio = 2M / (a + b) <= 2·min / (min + max), so texts whose length ratio is below
  0.9 / 1.1 can never reach 90% and are skipped without reading them;
- bigrams: a 90% copy shares most of its bigrams; pairs whose bigram Dice coefficient is under
  ``BIGRAM_FLOOR`` are skipped before difflib runs.

Texts shorter than ``MIN_CHARS`` folded characters ("已完成。") are never flagged: saying the
same short thing twice is not reporting the same material twice.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from datetime import date

from tracker import periods

#: reports at least this similar are flagged
THRESHOLD = 0.9
#: folded texts shorter than this are never flagged
MIN_CHARS = 20
#: the bigram Dice coefficient below which difflib is not asked
BIGRAM_FLOOR = 0.6
#: the lowest length ratio that can still reach THRESHOLD (2r / (1 + r) >= THRESHOLD)
LENGTH_FLOOR = THRESHOLD / (2 - THRESHOLD)

_DROP = re.compile(r"[\s\W_]+", re.UNICODE)


def fold(text: str | None) -> str:
    """The text as compared: NFKC, lower case, no whitespace or punctuation."""
    return _DROP.sub("", unicodedata.normalize("NFKC", text or "").lower())


def bigrams(folded: str) -> frozenset[str]:
    return frozenset(folded[i:i + 2] for i in range(len(folded) - 1)) if len(folded) > 1 else frozenset({folded})


class Text:
    """A report's text, folded once; its bigrams are made when a comparison first needs them (most
    candidates are ruled out by length alone)."""

    __slots__ = ("key", "folded", "_grams")

    def __init__(self, key: object, folded: str) -> None:
        self.key = key
        self.folded = folded
        self._grams: frozenset[str] | None = None

    @classmethod
    def of(cls, key: object, text: str | None) -> Text:
        return cls(key, fold(text))

    @property
    def grams(self) -> frozenset[str]:
        if self._grams is None:
            self._grams = bigrams(self.folded)
        return self._grams


def similarity(a: Text, b: Text) -> float:
    """How alike two texts are, 0..1 (difflib's ratio on the folded texts), or 0.0 when a guard
    already shows they cannot reach ``THRESHOLD``."""
    la, lb = len(a.folded), len(b.folded)
    if min(la, lb) < MIN_CHARS or min(la, lb) / max(la, lb) < LENGTH_FLOOR:
        return 0.0
    dice = 2 * len(a.grams & b.grams) / (len(a.grams) + len(b.grams))
    if dice < BIGRAM_FLOOR:
        return 0.0
    matcher = difflib.SequenceMatcher(None, a.folded, b.folded, autojunk=False)
    if matcher.quick_ratio() < THRESHOLD:
        return 0.0
    return matcher.ratio()


def text_similarity(a: str, b: str) -> float:
    """``similarity`` of two plain strings."""
    return similarity(Text.of(None, a), Text.of(None, b))


def best_match(text: Text, candidates: Iterable[Text]) -> tuple[Text, float] | None:
    """The candidate most like ``text`` at or above ``THRESHOLD``, with its score; None if none is."""
    best: tuple[Text, float] | None = None
    for other in candidates:
        score = similarity(text, other)
        if score >= THRESHOLD and (best is None or score > best[1]):
            best = (other, score)
    return best


# --------------------------------------------------------------------------- evidence periods

_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_WRITTEN = [
    # 2026-H1, 2026年上半年, 2026 上半年
    (re.compile(r"^(\d{4})-?H([12])$"), lambda m: f"{m[1]}-H{m[2]}"),
    (re.compile(r"^(\d{4})年?(上|下)半年$"), lambda m: f"{m[1]}-H{1 if m[2] == '上' else 2}"),
    # 2026-Q1, 2026年第一季度, 2026年1季度
    (re.compile(r"^(\d{4})-?Q([1-4])$"), lambda m: f"{m[1]}-Q{m[2]}"),
    (re.compile(r"^(\d{4})年?第?([一二三四1-4])季度$"), lambda m: f"{m[1]}-Q{_CN_DIGITS[m[2]]}"),
    # 2026-W05
    (re.compile(r"^(\d{4})-?W(\d{2})$"), lambda m: f"{m[1]}-W{m[2]}"),
    # 2026-03, 2026年3月, 2026.3, 2026/03
    (re.compile(r"^(\d{4})[-./年](\d{1,2})月?(份)?$"), lambda m: f"{m[1]}-{int(m[2]):02d}"),
    # 2026, 2026年, 2026年度 (read as 2026年), 2026全年
    (re.compile(r"^(\d{4})(年|全年|年全年)?$"), lambda m: m[1]),
]
#: the period kind of each key shape, in the vocabulary of tracker.periods
_KEY_KINDS = {"W": "weekly", "Q": "quarterly", "H": "half_yearly"}


def period_key_of(written: str | None) -> str | None:
    """The period key (``2026-H1``, ``2026-Q1``, ``2026-03``, ``2026-W05``, ``2026``) a stated
    period means, from a key itself or the ways people write one; None when it names no period."""
    text = unicodedata.normalize("NFKC", written or "").replace(" ", "").strip().upper().replace("年度", "年")
    for pattern, build in _WRITTEN:
        match = pattern.match(text)
        if match:
            key = build(match)
            return key if key_bounds(key) is not None else None
    return None


def key_kind(key: str) -> str | None:
    """The period kind of a key (``2026-Q1`` → quarterly), checked by ``periods.is_valid_key``."""
    if len(key) == 4:
        kind = "yearly"
    elif len(key) > 5 and key[5] in _KEY_KINDS:
        kind = _KEY_KINDS[key[5]]
    else:
        kind = "monthly"
    return kind if periods.is_valid_key(kind, key) else None


def key_bounds(key: str | None) -> tuple[date, date] | None:
    """First and last day of the period a key names; None for no valid key."""
    kind = key_kind(key or "")
    if kind is None:
        return None
    year = int(key[:4])
    if kind == "yearly":
        day = date(year, 1, 1)
    elif kind == "half_yearly":
        day = date(year, 1 if key[6] == "1" else 7, 1)
    elif kind == "quarterly":
        day = date(year, (int(key[6]) - 1) * 3 + 1, 1)
    elif kind == "weekly":
        day = date.fromisocalendar(year, int(key[6:]), 1)
    else:
        day = date(year, int(key[5:7]), 1)
    found = periods.bounds(day, kind)
    assert found is not None
    return found[1], found[2]


def evidence_period_key(evidence: object) -> str | None:
    """The period a piece of evidence says it proves, as a key: the one place that reads it.

    Reads ``period_key`` when the evidence has one, else parses the free-text ``proves``.
    """
    key = getattr(evidence, "period_key", None)
    if key:
        return key if key_bounds(key) is not None else period_key_of(key)
    return period_key_of(getattr(evidence, "proves", None))


def outside(evidence_key: str | None, window: tuple[date, date]) -> bool:
    """Whether the period ``evidence_key`` names lies wholly outside ``window`` (first, last day).
    Evidence that states no period, or one that cannot be read, is not flagged."""
    found = key_bounds(evidence_key)
    if found is None:
        return False
    first, last = found
    return last < window[0] or first > window[1]
