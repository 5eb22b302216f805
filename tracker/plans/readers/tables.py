"""Task-breakdown tables (重点工作任务分解表, 责任清单): one reader that every format feeds.

A table arrives as a grid of ``(identity, text)`` cells, one row per table row; a merged cell
repeats its identity across the cells it spans. The header is recognised by its words, each row
becomes a block carrying its cells in ``Block.row``.
"""

from __future__ import annotations

import re
from typing import Any

from .blocks import Block

#: a table's header row is one of its first rows (titles may stand above it)
HEADER_SEARCH_ROWS = 10

_HEADER_ROLES: list[tuple[str, tuple[str, ...]]] = [
    ("number", ("序号", "编号", "序", "No", "No.")),
    ("lead_units", ("牵头单位", "牵头部门", "主责单位", "主责部门", "牵头责任单位", "牵头")),
    (
        "support_units",
        ("配合单位", "配合部门", "协办单位", "协办部门", "协助单位", "参与单位", "协同单位", "配合"),
    ),
    (
        "units",
        ("责任单位", "责任部门", "承办单位", "主办单位", "实施单位", "落实单位", "责任主体", "单位"),
    ),
    ("owners", ("责任人", "具体责任人", "联系人", "经办人")),
    (
        "deadline_text",
        (
            "完成时限", "完成时间", "时间节点", "时限要求", "完成期限", "时限", "截止时间",
            "完成时间节点", "办结时限", "进度安排", "时间安排",
        ),
    ),
]
# the task column, most specific first: when a table has two, the other is a section column
_TASK_HEADERS = (
    "具体措施", "工作措施", "主要措施", "推进措施", "具体任务", "任务内容", "工作内容", "具体工作",
    "工作任务", "主要任务", "重点任务", "重点工作", "任务名称", "工作事项", "任务事项", "工作要点",
    "目标任务", "任务", "措施", "事项",
)
_HEADER_SPACE_RE = re.compile(r"[\s\u3000]+")


def _header_role(cell: str) -> tuple[str, int] | None:
    """The role a header cell names, with a rank for task columns (lower is more specific)."""
    name = _HEADER_SPACE_RE.sub("", cell).strip("：:*＊")
    if not name or len(name) > 16:
        return None
    for role, words in _HEADER_ROLES:
        if name in words:
            return role, 0
    for rank, word in enumerate(_TASK_HEADERS):
        if name == word:
            return "text", rank
    for role, words in _HEADER_ROLES:
        if role != "number" and any(len(word) >= 4 and word in name for word in words):
            return role, 0
    for rank, word in enumerate(_TASK_HEADERS):
        if len(word) >= 2 and word in name:
            return "text", rank + len(_TASK_HEADERS)
    return None


def _header_map(cells: list[str]) -> dict[str, Any] | None:
    """Map roles to column indexes if this row is a task-table header."""
    roles: dict[str, int] = {}
    task_columns: list[tuple[int, int]] = []
    seen: set[str] = set()
    for index, cell in enumerate(cells):
        if not cell or cell in seen:
            continue  # horizontally merged header cells repeat
        seen.add(cell)
        found = _header_role(cell)
        if found is None:
            continue
        role, rank = found
        if role == "text":
            task_columns.append((rank, index))
        elif role not in roles:
            roles[role] = index
    if not task_columns:
        return None
    others = [r for r in roles if r != "owners"]
    if not others:
        return None
    task_columns.sort()
    text_col = task_columns[0][1]
    sections = sorted(index for _, index in task_columns[1:] if index < text_col)
    return {"roles": roles, "text": text_col, "sections": sections}


def table_rows_to_blocks(grid: list[list[tuple[Any, str]]], search_rows: int) -> list[Block] | None:
    """Blocks for a task table, or None when no header row names a task column.

    ``grid`` holds, per row, one ``(identity, text)`` per grid column; a
    merged cell repeats its identity across the columns (and rows) it spans,
    so a title row spanning the width is recognised and units repeat down a
    vertical merge.
    """
    header_at = None
    header = None
    for index, row in enumerate(grid[:search_rows]):
        header = _header_map([text for _, text in row])
        if header is not None:
            header_at = index
            break
    if header is None or header_at is None:
        return None

    blocks: list[Block] = []
    for row in grid[:header_at]:
        texts = _distinct_texts(row)
        if texts:
            blocks.append(Block(" ".join(texts)))

    start = header_at + 1
    # a second header row (责任单位 split into 牵头单位 | 配合单位 under it)
    if start < len(grid):
        sub = [text for _, text in grid[start]]
        sub_roles = {i: _header_role(t) for i, t in enumerate(sub) if t}
        if sub_roles and all(found is not None for found in sub_roles.values()):
            for i, found in sub_roles.items():
                if found and found[0] != "text":
                    for role, col in list(header["roles"].items()):
                        if col == i:
                            del header["roles"][role]
                    header["roles"][found[0]] = i
            start += 1

    header_texts = [text for _, text in grid[header_at]]
    roles = header["roles"]
    text_col = header["text"]
    last_sections: dict[int, str] = {}
    for row in grid[start:]:
        texts = [text for _, text in row]
        if not any(texts):
            continue
        if texts == header_texts:
            continue  # a header repeated on every page of a spreadsheet
        distinct = _distinct_texts(row)
        if len(distinct) == 1 and _is_title_row(row, text_col):
            blocks.append(Block(distinct[0]))  # a section title merged across the table
            last_sections.clear()
            continue
        for col in header["sections"]:
            value = _cell(texts, col)
            if value and value != last_sections.get(col) and value != _cell(texts, text_col):
                blocks.append(Block(value))
                last_sections[col] = value
        text = _cell(texts, text_col)
        number = _cell(texts, roles.get("number"))
        if not text:
            if number and len(distinct) == 1:
                blocks.append(Block(number))
            continue
        record: dict[str, Any] = {
            "number": number,
            "text": text,
            "lead_units": [],
            "units": [],
            "support_units": [],
            "owners": [],
            "deadline_text": _cell(texts, roles.get("deadline_text")) or None,
        }
        for role in ("lead_units", "units", "support_units"):
            for name, hint in split_units(_cell(texts, roles.get(role))):
                target = hint or role
                if name not in record[target]:
                    record[target].append(name)
        record["owners"] = [name for name, _ in split_units(_cell(texts, roles.get("owners")))]
        blocks.append(Block(text, row=record))
    return blocks


def _cell(texts: list[str], col: int | None) -> str:
    if col is None or col >= len(texts):
        return ""
    return texts[col].strip()


def _distinct_texts(row: list[tuple[Any, str]]) -> list[str]:
    seen: set[Any] = set()
    out: list[str] = []
    for identity, text in row:
        if identity in seen or not text.strip():
            continue
        seen.add(identity)
        out.append(text.strip())
    return out


def _is_title_row(row: list[tuple[Any, str]], text_col: int) -> bool:
    """A row with one value is a section title when it is merged across, or sits outside the task column.

    A lone value in the task column is a measure with nothing else filled in.
    """
    columns = [index for index, (_, text) in enumerate(row) if text.strip()]
    return len(columns) > 1 or (len(columns) == 1 and columns[0] != text_col)


_UNIT_SPLIT_RE = re.compile(r"[、，,；;/／\n\t]+|\s{1,}")
_UNIT_ROLE_RE = re.compile(r"^(.*?)[（(]\s*(牵头|负责|主责|配合|协办|协助)\s*[)）]$|^(.*?)(牵头|配合)$")
_UNIT_LABEL_RE = re.compile(r"^(牵头单位|牵头|主责单位|责任单位|配合单位|配合|协办单位)[：:]")
_ROLE_BY_WORD = {
    "牵头": "lead_units",
    "负责": "lead_units",
    "主责": "lead_units",
    "牵头单位": "lead_units",
    "主责单位": "lead_units",
    "责任单位": "units",
    "配合": "support_units",
    "协办": "support_units",
    "协助": "support_units",
    "配合单位": "support_units",
    "协办单位": "support_units",
}


def split_units(cell: str) -> list[tuple[str, str | None]]:
    """Split a unit cell into names, each with a role when the cell marks one (X（牵头）, 配合：Y)."""
    if not cell:
        return []
    out: list[tuple[str, str | None]] = []
    current: str | None = None
    for part in re.split(r"[；;\n]+", cell):
        part = part.strip()
        label = _UNIT_LABEL_RE.match(part)
        if label:
            current = _ROLE_BY_WORD[label.group(1)]
            part = part[label.end():]
        for name in _UNIT_SPLIT_RE.split(part):
            name = name.strip(" 。.：:")
            if not name:
                continue
            hint = current
            marked = _UNIT_ROLE_RE.match(name)
            if marked:
                if marked.group(1) is not None:
                    name, word = marked.group(1).strip(), marked.group(2)
                else:
                    name, word = marked.group(3).strip(), marked.group(4)
                if name:
                    hint = _ROLE_BY_WORD[word]
            if name.endswith("等") and len(name) > 2:
                name = name[:-1]
            if name and name not in ("无", "—", "-", "/"):
                out.append((name, hint))
    return out
