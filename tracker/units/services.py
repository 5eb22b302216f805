"""Unit tree actions: create, edit, move (never under itself), import from a file."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from tracker import access, audit
from tracker.auth.models import User
from tracker.errors import UserError
from tracker.extensions import db
from tracker.notify import channels
from tracker.tabular import Preview, PreviewRow, TableError, read_table
from tracker.units.models import Unit, UnitKind

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")
#: how a list of aliases is written in a form field or an import cell
ALIAS_SEPARATORS = re.compile(r"[、;；,，\n]+")
MAX_ALIASES = 50


class UnitError(UserError):
    """Bad input for a unit; the message is for the user."""


@dataclass
class UnitData:
    name: str
    code: str
    kind: UnitKind = UnitKind.department
    parent_id: int | None = None
    contact_email: str | None = None
    leader_id: int | None = None
    sort_order: int = 0
    is_active: bool = True
    #: None: leave the unit's aliases as they are
    aliases: list[str] | None = None
    #: None: leave the unit's robot, phone and cap as they are
    channels: ChannelData | None = None


@dataclass
class ChannelData:
    """A unit's channels beside email. A blank robot URL or secret keeps the stored one (the page
    never shows them back in full); ``clear_robot`` removes the robot."""

    robot_kind: str | None = None
    robot_url: str | None = None
    robot_secret: str | None = None
    clear_robot: bool = False
    sms_phone: str | None = None
    chase_weekly_cap: int | None = None


PHONE_RE = re.compile(r"^\+?[0-9][0-9-]{4,30}$")


def _apply_channels(unit: Unit, data: ChannelData) -> dict[str, list]:
    """Check and set the channel fields; the changes for the audit, with secrets masked."""
    kind = (data.robot_kind or "").strip() or None
    if kind is not None and kind not in channels.ROBOT_KINDS:
        raise UnitError(_("机器人类型只能是企业微信或钉钉。"))
    url = (data.robot_url or "").strip()
    if data.clear_robot:
        values = {"robot_kind": None, "robot_url": None, "robot_secret": None}
    else:
        values = {"robot_kind": kind if (url or unit.robot_url) else None}
        if url:
            parts = urlsplit(url)
            allowed = ("https", "http") if current_app.config.get("ROBOT_ALLOW_HTTP") else ("https",)
            if parts.scheme not in allowed or not parts.netloc or len(url) > 500:
                raise UnitError(_("机器人地址必须是 https:// 开头的完整网址。"))
            values["robot_url"] = url
        if (url or unit.robot_url) and kind is None:
            raise UnitError(_("请选择机器人类型。"))
        if data.robot_secret and data.robot_secret.strip():
            if len(data.robot_secret.strip()) > 200:
                raise UnitError(_("加签密钥不能超过 200 个字符。"))
            values["robot_secret"] = data.robot_secret.strip()
    phone = (data.sms_phone or "").strip().replace(" ", "") or None
    if phone is not None and not PHONE_RE.match(phone):
        raise UnitError(_("请输入有效的手机号码。"))
    values["sms_phone"] = phone
    if data.chase_weekly_cap is not None and not 0 <= data.chase_weekly_cap <= 1000:
        raise UnitError(_("每周催办上限应在 0 到 1000 之间。"))
    values["chase_weekly_cap"] = data.chase_weekly_cap
    changes = {}
    for name, value in values.items():
        if getattr(unit, name) != value:
            shown = [channels.mask_url(getattr(unit, name)), channels.mask_url(value)] if name == "robot_url" else \
                [bool(getattr(unit, name)), bool(value)] if name == "robot_secret" else [getattr(unit, name), value]
            changes[name] = shown
            setattr(unit, name, value)
    return changes


def split_aliases(text: str | None) -> list[str]:
    """Names written in one field, separated by 、 ; or commas; blanks and repeats dropped."""
    return list(dict.fromkeys(part.strip() for part in ALIAS_SEPARATORS.split(text or "") if part.strip()))


def _clean_aliases(aliases: list[str], name: str, unit: Unit | None) -> list[str]:
    """The aliases to keep: not the unit's own name, each at most 100 characters, none another unit's."""
    cleaned = [a for a in dict.fromkeys((a or "").strip() for a in aliases) if a and a != name.strip()]
    if len(cleaned) > MAX_ALIASES:
        raise UnitError(_("别名最多 %(n)d 个。", n=MAX_ALIASES))
    for alias in cleaned:
        if len(alias) > 100:
            raise UnitError(_("别名不能超过 100 个字符。"))
    taken = _alias_owners(exclude=unit)
    for alias in cleaned:
        other = taken.get(alias)
        if other is not None:
            raise UnitError(_("“%(alias)s”已是单位 %(unit)s 的名称或别名。", alias=alias, unit=other.name))
    return cleaned


def _alias_owners(exclude: Unit | None = None) -> dict[str, Unit]:
    """Every unit's name and aliases, to the unit: a name may mean one unit only."""
    owners: dict[str, Unit] = {}
    for other in db.session.scalars(sa.select(Unit).order_by(Unit.id)):
        if other is exclude:
            continue
        for alias in [other.name, *(other.aliases or [])]:
            owners.setdefault(alias, other)
    return owners


def _validate(data: UnitData, unit: Unit | None) -> None:
    name = (data.name or "").strip()
    if not name:
        raise UnitError(_("单位名称不能为空。"))
    if len(name) > 100:
        raise UnitError(_("单位名称不能超过 100 个字符。"))
    if not CODE_RE.match(data.code or ""):
        raise UnitError(_("单位代码只能由字母、数字、点、横线和下划线组成，最多 32 个字符。"))
    clash = db.session.scalar(sa.select(Unit).where(Unit.code == data.code))
    if clash is not None and clash is not unit:
        raise UnitError(_("单位代码 %(code)s 已存在。", code=data.code))
    if data.contact_email and ("@" not in data.contact_email or len(data.contact_email) > 254):
        raise UnitError(_("请输入有效的联系邮箱。"))
    if data.parent_id is not None:
        parent = db.session.get(Unit, data.parent_id)
        if parent is None:
            raise UnitError(_("上级单位不存在。"))
        if unit is not None and (parent is unit or unit in parent.ancestors()):
            raise UnitError(_("不能把单位移到它自己或它的下级单位之下。"))
    if data.leader_id is not None and db.session.get(User, data.leader_id) is None:
        raise UnitError(_("所选分管领导不存在。"))


def create_unit(data: UnitData, *, actor: User | None, now: datetime) -> Unit:
    """A new unit (``actor`` None: the operator's command line)."""
    access.check(actor is None or access.may_manage_unit(actor))
    return _add_unit(data, actor=actor, now=now)


def _add_unit(data: UnitData, *, actor: User | None, now: datetime) -> Unit:
    _validate(data, None)
    aliases = _clean_aliases(data.aliases or [], data.name, None)
    unit = Unit(name=data.name.strip(), code=data.code, kind=data.kind, parent_id=data.parent_id,
                contact_email=(data.contact_email or "").strip() or None, leader_id=data.leader_id,
                sort_order=data.sort_order, is_active=data.is_active, aliases=aliases)
    if data.channels is not None:
        _apply_channels(unit, data.channels)
    db.session.add(unit)
    db.session.flush()
    audit.record(actor, "unit.created", unit, {"code": unit.code, "name": unit.name}, now=now)
    return unit


def update_unit(unit: Unit, data: UnitData, *, actor: User | None, now: datetime) -> Unit:
    access.check(actor is None or access.may_manage_unit(actor, unit))
    _validate(data, unit)
    aliases = _clean_aliases(data.aliases, data.name, unit) if data.aliases is not None else None
    changes = {}
    for name in ("name", "code", "kind", "parent_id", "contact_email", "leader_id", "sort_order", "is_active"):
        value = getattr(data, name)
        if isinstance(value, str):
            value = value.strip() or (None if name == "contact_email" else value)
        if getattr(unit, name) != value:
            changes[name] = [getattr(unit, name), value]
            setattr(unit, name, value)
    if aliases is not None and list(unit.aliases or []) != aliases:
        changes["aliases"] = [list(unit.aliases or []), aliases]
        unit.aliases = aliases
    if data.channels is not None:
        changes.update(_apply_channels(unit, data.channels))
    if changes:
        db.session.flush()
        audit.record(actor, "unit.updated", unit, changes, now=now)
    return unit


def unit_tree(include_inactive: bool = True) -> list[tuple[Unit, int]]:
    """All units in tree order with their depth, in one query."""
    query = sa.select(Unit).order_by(Unit.sort_order, Unit.id)
    if not include_inactive:
        query = query.where(Unit.is_active)
    units = list(db.session.scalars(query))
    by_parent: dict[int | None, list[Unit]] = {}
    ids = {u.id for u in units}
    for unit in units:
        parent = unit.parent_id if unit.parent_id in ids else None
        by_parent.setdefault(parent, []).append(unit)
    out: list[tuple[Unit, int]] = []

    def walk(parent_id: int | None, depth: int) -> None:
        for unit in by_parent.get(parent_id, []):
            out.append((unit, depth))
            walk(unit.id, depth + 1)

    walk(None, 0)
    return out


def descendant_ids(unit_id: int) -> set[int]:
    """The unit and all units below it."""
    rows = db.session.execute(sa.select(Unit.id, Unit.parent_id)).all()
    children: dict[int | None, list[int]] = {}
    for uid, pid in rows:
        children.setdefault(pid, []).append(uid)
    found, stack = set(), [unit_id]
    while stack:
        uid = stack.pop()
        if uid in found:
            continue
        found.add(uid)
        stack.extend(children.get(uid, []))
    return found


IMPORT_COLUMNS = {
    "code": ("代码", "单位代码", "code"),
    "name": ("名称", "单位名称", "name"),
    "parent": ("上级代码", "上级单位代码", "parent", "parent_code"),
    "kind": ("类型", "kind"),
    "contact_email": ("联系邮箱", "邮箱", "email", "contact_email"),
    "aliases": ("别名", "aliases"),
}
KIND_WORDS = {"地区": UnitKind.region, "县区": UnitKind.county, "县": UnitKind.county, "部门": UnitKind.department,
              "科室": UnitKind.office, "处室": UnitKind.office, "乡镇": UnitKind.township, "街道": UnitKind.township,
              "乡镇（街道）": UnitKind.township, "乡镇街道": UnitKind.township}


def read_rows(data: bytes, filename: str) -> list[dict[str, str]]:
    """Rows of a .csv (UTF-8 or GB18030) or .xlsx file as dicts keyed by the canonical column names."""
    try:
        raw = read_table(data, filename)
    except TableError as exc:
        raise UnitError(str(exc)) from exc
    header = raw[0]
    index = {}
    for key, names in IMPORT_COLUMNS.items():
        for i, cell in enumerate(header):
            if cell in names:
                index[key] = i
    missing = [IMPORT_COLUMNS[k][0] for k in ("code", "name") if k not in index]
    if missing:
        raise UnitError(_("缺少必需的列：%(cols)s", cols="、".join(missing)))
    return [{k: (row[i] if i < len(row) else "") for k, i in index.items()} for row in raw[1:]]


UNIT_PREVIEW_COLUMNS = ("code", "name", "parent", "kind", "contact_email")


def preview_units(data: bytes, filename: str, *, actor: User | None, now: datetime) -> Preview:
    """Check a units file by running the import itself in a transaction the caller rolls back, so
    the preview and the import can never disagree."""
    columns = [(k, IMPORT_COLUMNS[k][0]) for k in UNIT_PREVIEW_COLUMNS]
    try:
        rows = read_rows(data, filename)
    except UnitError as exc:
        return Preview("units", columns, [], [str(exc)])
    out = Preview("units", columns, [PreviewRow(n, r) for n, r in enumerate(rows, start=2)])
    if not rows:
        out.general_errors.append(_("文件中没有数据行。"))
        return out
    try:
        import_units(rows, actor=actor, now=now)
    except UnitError as exc:
        out.add_errors(str(exc))
    return out


def import_units(rows: list[dict[str, str]], *, actor: User | None, now: datetime) -> list[Unit]:
    """Create or update units from rows; all or nothing: any bad row raises with every row's error."""
    errors: list[str] = []
    existing = {u.code: u for u in db.session.scalars(sa.select(Unit))}
    file_codes: dict[str, int] = {}
    # names and aliases: each means one unit (the file's rows replace those units' own)
    in_file = {r.get("code", "") for r in rows}
    alias_rows: dict[str, str] = {}
    for unit in existing.values():
        if unit.code not in in_file:
            for alias in [unit.name, *(unit.aliases or [])]:
                alias_rows.setdefault(alias, unit.code)
    for row in rows:
        if row.get("name"):
            alias_rows.setdefault(row["name"], row.get("code", ""))
    for number, row in enumerate(rows, start=2):
        code = row.get("code", "")
        if code in file_codes:
            errors.append(_("第 %(n)d 行：代码 %(code)s 与第 %(m)d 行重复。", n=number, code=code, m=file_codes[code]))
        file_codes[code] = number
        if not CODE_RE.match(code):
            errors.append(_("第 %(n)d 行：单位代码无效。", n=number))
        if not row.get("name"):
            errors.append(_("第 %(n)d 行：单位名称为空。", n=number))
        parent = row.get("parent") or ""
        if parent and parent not in existing and parent not in {r.get("code") for r in rows}:
            errors.append(_("第 %(n)d 行：上级单位 %(code)s 不存在。", n=number, code=parent))
        kind = row.get("kind") or ""
        if kind and kind not in KIND_WORDS and kind not in UnitKind.__members__:
            errors.append(_("第 %(n)d 行：未知的单位类型 %(kind)s。", n=number, kind=kind))
        for alias in split_aliases(row.get("aliases")):
            if len(alias) > 100:
                errors.append(_("第 %(n)d 行：别名不能超过 100 个字符。", n=number))
            owner = alias_rows.setdefault(alias, code)
            if owner != code:
                errors.append(_("第 %(n)d 行：别名“%(alias)s”已属于 %(code)s。", n=number, alias=alias, code=owner))
    # cycles: follow parents through the file's rows and the database
    parent_of = {u.code: (u.parent.code if u.parent else "") for u in existing.values()}
    parent_of.update({r.get("code", ""): r.get("parent") or "" for r in rows})
    for code in file_codes:
        seen, node = set(), code
        while node:
            if node in seen:
                errors.append(_("单位 %(code)s 的上级关系形成了循环。", code=code))
                break
            seen.add(node)
            node = parent_of.get(node, "")
    if errors:
        raise UnitError("\n".join(errors))
    result = []
    for row in rows:
        kind_text = row.get("kind") or ""
        kind = KIND_WORDS.get(kind_text) or UnitKind.__members__.get(kind_text) or UnitKind.department
        unit = existing.get(row["code"])
        if unit is None:
            unit = Unit(code=row["code"], name=row["name"], kind=kind)
            db.session.add(unit)
            existing[unit.code] = unit
        else:
            unit.name, unit.kind = row["name"], kind
        if row.get("contact_email"):
            unit.contact_email = row["contact_email"]
        if "aliases" in row:
            unit.aliases = [a for a in split_aliases(row["aliases"]) if a != unit.name]
        result.append(unit)
    db.session.flush()
    for row in rows:
        parent = existing.get(row.get("parent") or "")
        existing[row["code"]].parent_id = parent.id if parent else None
    db.session.flush()
    audit.record(actor, "unit.imported", None, {"count": len(rows)}, now=now, object_type="unit")
    return result


# -- names a plan uses ---------------------------------------------------------------------------

@dataclass
class NameChoice:
    """The supervisor's answer for one name a plan uses that matched no unit: map it to a unit,
    or create a unit of that kind under it."""

    name: str
    unit_id: int | None = None
    new_kind: UnitKind | None = None


def _new_code() -> str:
    while True:
        code = "n-" + secrets.token_hex(4)
        if db.session.scalar(sa.select(Unit.id).where(Unit.code == code)) is None:
            return code


def add_alias(unit: Unit, alias: str, *, actor: User | None, now: datetime | None = None,
              context: dict | None = None) -> Unit:
    """Remember another name for a unit, so plans naming it so match it from now on (audited)."""
    alias = (alias or "").strip()
    if not alias or alias == unit.name or alias in (unit.aliases or []):
        return unit
    aliases = _clean_aliases([*(unit.aliases or []), alias], unit.name, unit)
    unit.aliases = aliases
    db.session.flush()
    audit.record(actor, "unit.alias_added", unit, {"alias": alias, **(context or {})}, now=now)
    return unit


def resolve_names(choices: list[NameChoice], *, actor: User, now: datetime | None = None,
                  context: dict | None = None) -> list[Unit]:
    """Map names to units or create units for them, all or nothing; choices with neither are skipped.

    Supervisors do this from the assignment page (a name a plan uses is theirs to place); the unit
    stays editable by the admin (a new unit goes under the top region, with a generated code).
    """
    access.check(access.may_place_unit_names(actor))
    done: list[Unit] = []
    for choice in choices:
        name = (choice.name or "").strip()
        if not name or len(name) > 100:
            raise UnitError(_("单位名称不能为空，且不能超过 100 个字符。"))
        if choice.unit_id is not None:
            unit = db.session.get(Unit, choice.unit_id)
            if unit is None or not unit.is_active:
                raise UnitError(_("所选单位不存在。"))
            done.append(add_alias(unit, name, actor=actor, now=now, context=context))
        elif choice.new_kind is not None:
            clash = db.session.scalar(sa.select(Unit).where(Unit.name == name))
            if clash is not None:
                raise UnitError(_("单位 %(name)s 已存在。", name=name))
            top = db.session.scalar(sa.select(Unit).where(Unit.parent_id.is_(None), Unit.kind == UnitKind.region)
                                    .order_by(Unit.sort_order, Unit.id))
            unit = _add_unit(UnitData(name=name, code=_new_code(), kind=choice.new_kind,
                                        parent_id=top.id if top is not None else None, sort_order=900),
                               actor=actor, now=now)
            done.append(unit)
    return done
