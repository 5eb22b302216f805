"""Finding the units a plan names: the parser's suggested names matched to the unit tree.

A plan writes units as its authors know them: 县水务局 where the tree says 水务局, 区政府办 for
区人民政府办公室, 各县（市、区） for every county. Each name is tried, in this order:

1. the exact name of a unit;
2. an alias of a unit (a name a supervisor mapped before, or the admin entered);
3. a group word, expanded by unit kind: 各县区 → the counties, 各乡镇（街道） → the townships,
   各部门 / 各成员单位 → the departments that are not under a county (offices where the tree has no
   departments);
4. the name without its region prefix: 市/县/区/镇/乡/省/州/旗, a region unit's full name (示范市,
   东城区) or another place name ending so (宣城市, 安徽省宣城市) in front, on either side
   (县水务局 ↔ 水务局, 区教育局 ↔ 市教育局, 宣城市民政局 ↔ 市民政局). When several units match so,
   the one highest in the tree wins; a tie is left for the supervisor to decide.

A name that matches nothing comes back unmatched, for the supervisor to map once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa

from tracker.extensions import db
from tracker.units.models import Unit, UnitKind

EXACT, ALIAS, GROUP, PREFIX = "exact", "alias", "group", "prefix"
#: one-character level prefixes a plan puts before a unit's name (县水务局, 区教育局)
LEVEL_PREFIXES = "省市州盟县区旗镇乡"
#: what is left of 市政府 / 区委 without the prefix names a different body at each level: never matched so
GENERIC = frozenset({"政府", "人民政府", "党委", "人大", "政协", "纪委", "人大常委会", "委员会", "党工委"})
#: a place name in front of a unit's name: a few characters ending in a level (宣城市, 安徽省, 东城区)
_PLACE = re.compile(r"^[\u4e00-\u9fff]{1,6}?(?:自治区|自治州|自治县|省|市|州|盟|县|区|旗)")
#: words that end like a place but are not one (城市管理局 is not 城市 + 管理局)
NOT_PLACES = frozenset({"城市", "社区", "小区", "园区", "景区", "街区", "辖区", "市区", "山区", "片区", "城区",
                        "都市", "校区", "厂区", "矿区", "林区", "牧区", "库区", "湾区", "灾区"})
#: units whose names are region prefixes of other names
REGION_KINDS = (UnitKind.region, UnitKind.county, UnitKind.township)
_PARENS = re.compile(r"[(（][^()（）]*[)）]")
_SPACES = re.compile(r"\s+")
_COUNTY_GROUP = re.compile(
    r"^(全市|全省|全州)?各(县|区|县区|区县|县市区|县市|市县|市县区|县市区旗)(人民)?(政府|党委|党委政府|党委和政府|党委、政府)?$")
_TOWNSHIP_GROUP = re.compile(
    r"^(全县|全区|全市)?各(乡镇|镇街|乡镇街道|镇街道|乡镇街|乡|镇|街道|镇办|乡镇办)(人民)?(政府|党委|党委政府|办事处|党工委)?$")
_DEPARTMENT_GROUP = re.compile(
    r"^(全市|全县|全区)?(市直|县直|区直|市级|县级|区级)?各(有关|相关|职能|成员|责任|市直|县直|区直|市级|县级|区级)?"
    r"(部门|单位|部门单位)$")


@dataclass(frozen=True)
class Match:
    """What one suggested name means on the unit tree."""

    name: str
    units: tuple[Unit, ...] = ()
    #: exact, alias, group or prefix; empty when nothing matched
    how: str = ""
    #: for an ambiguous name: the units it could mean
    candidates: tuple[Unit, ...] = field(default=())

    @property
    def matched(self) -> bool:
        return bool(self.units)


def clean_name(name: str) -> str:
    """The name as compared: no spaces, ASCII parentheses."""
    return _SPACES.sub("", name or "").replace("（", "(").replace("）", ")")


def group_kind(name: str) -> UnitKind | None:
    """The unit kind a group word (各县区, 各乡镇（街道）, 各部门) stands for, or None."""
    key = _PARENS.sub("", clean_name(name))
    if _COUNTY_GROUP.match(key):
        return UnitKind.county
    if _TOWNSHIP_GROUP.match(key):
        return UnitKind.township
    if _DEPARTMENT_GROUP.match(key):
        return UnitKind.department
    return None


class UnitDirectory:
    """The active units, indexed once for matching many names (one import, one page)."""

    def __init__(self, units: Iterable[Unit]) -> None:
        self.units = [u for u in units if u.is_active]
        self.by_id = {u.id: u for u in self.units}
        self.depth = {u.id: self._depth(u) for u in self.units}
        self.exact: dict[str, list[Unit]] = {}
        self.alias: dict[str, list[Unit]] = {}
        for unit in sorted(self.units, key=lambda u: (self.depth[u.id], u.sort_order, u.id)):
            self.exact.setdefault(clean_name(unit.name), []).append(unit)
            for alias in unit.aliases or []:
                self.alias.setdefault(clean_name(alias), []).append(unit)
        self._name_counts: dict[str, int] = {}
        for unit in self.units:
            self._name_counts[unit.name] = self._name_counts.get(unit.name, 0) + 1
        self._labels = {clean_name(self.label(u)): u for u in self.units}
        regions = {clean_name(u.name) for u in self.units if u.kind in REGION_KINDS}
        self.regions = sorted((r for r in regions if len(r) >= 2), key=len, reverse=True)
        self.by_form: dict[str, list[Unit]] = {}
        for unit in self.units:
            forms: set[str] = set()
            for name in [unit.name, *(unit.aliases or [])]:
                forms |= self.forms(name)
            for form in forms:
                self.by_form.setdefault(form, []).append(unit)

    def label(self, unit: Unit) -> str:
        """How a page names the unit for picking: its name, with its parent's where the name is not unique."""
        if self._name_counts.get(unit.name, 0) > 1 and unit.parent_id in self.by_id:
            return f"{unit.name}（{self.by_id[unit.parent_id].name}）"
        return unit.name

    def labelled(self) -> list[tuple[str, Unit]]:
        """Every unit's label, in tree order (sort order, then id)."""
        return [(self.label(u), u) for u in sorted(self.units, key=lambda u: (self.depth[u.id], u.sort_order, u.id))]

    def resolve(self, text: str) -> Unit | None:
        """The one unit a picked or typed name means: a label, or a name that matches exactly one unit."""
        key = clean_name(text)
        if not key:
            return None
        if key in self._labels:
            return self._labels[key]
        match = self.match(text)
        return match.units[0] if match.how != GROUP and len(match.units) == 1 else None

    def _depth(self, unit: Unit) -> int:
        depth, node, seen = 0, unit, set()
        while node.parent_id is not None and node.parent_id not in seen:
            seen.add(node.parent_id)
            node = self.by_id.get(node.parent_id) or db.session.get(Unit, node.parent_id)
            if node is None:
                break
            depth += 1
        return depth

    def forms(self, name: str) -> set[str]:
        """The name and the name without its region prefix (a region unit's name, or 市/县/区…)."""
        key = clean_name(name)
        found = {key}
        for region in self.regions:
            if key.startswith(region) and len(key) - len(region) >= 2:
                found.add(key[len(region):])
                break
        rest = key
        for _level in range(2):  # 安徽省宣城市民政局 → 宣城市民政局 → 民政局
            place = _PLACE.match(rest)
            if place is None or place.group() in NOT_PLACES or len(rest) - place.end() < 2:
                break
            rest = rest[place.end():]
            found.add(rest)
        for form in list(found):
            if form[:1] in LEVEL_PREFIXES and len(form) >= 3:
                found.add(form[1:])
        return {form for form in found if form == key or form not in GENERIC}

    def _under_county(self, unit: Unit) -> bool:
        node, seen = unit, set()
        while node is not None and node.parent_id is not None and node.parent_id not in seen:
            seen.add(node.parent_id)
            node = self.by_id.get(node.parent_id)
            if node is not None and node.kind in (UnitKind.county, UnitKind.township):
                return True
        return False

    def expand(self, kind: UnitKind) -> list[Unit]:
        """The units a group word of this kind means, in tree order."""
        if kind is UnitKind.department:
            found = [u for u in self.units if u.kind is UnitKind.department and not self._under_county(u)]
            if not found:
                found = [u for u in self.units if u.kind is UnitKind.office and not self._under_county(u)]
        else:
            found = [u for u in self.units if u.kind is kind]
        return sorted(found, key=lambda u: (u.sort_order, u.id))

    def match(self, name: str) -> Match:
        key = clean_name(name)
        if not key:
            return Match(name)
        for how, index in ((EXACT, self.exact), (ALIAS, self.alias)):
            if key in index:
                return self._one(name, index[key], how)
        kind = group_kind(key)
        if kind is not None:
            members = self.expand(kind)
            return Match(name, tuple(members), GROUP) if members else Match(name)
        candidates: dict[int, Unit] = {}
        for form in self.forms(key):
            for unit in self.by_form.get(form, []):
                candidates[unit.id] = unit
        if not candidates:
            return Match(name)
        return self._one(name, list(candidates.values()), PREFIX)

    def _one(self, name: str, units: list[Unit], how: str) -> Match:
        """The unit highest in the tree among ``units``; a tie is ambiguous (no unit, the candidates)."""
        top = min(self.depth[u.id] for u in units)
        best = [u for u in units if self.depth[u.id] == top]
        if len(best) == 1:
            return Match(name, (best[0],), how)
        return Match(name, candidates=tuple(sorted(units, key=lambda u: u.id)))


def directory() -> UnitDirectory:
    """The active units as they are now, ready to match."""
    return UnitDirectory(db.session.scalars(sa.select(Unit).where(Unit.is_active).order_by(Unit.id)))


def match_unit_names(names: Sequence[str], units: UnitDirectory | None = None) -> list[Match]:
    """Each suggested name matched to the unit tree, in the order given (repeats kept)."""
    units = units or directory()
    return [units.match(name) for name in names]
