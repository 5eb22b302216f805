"""Generality: a random task table, rendered in every shape it arrives in, reads back the same.

The table has headers drawn from the open vocabulary (or none, where the shape keeps the columns
apart), 1–40 rows with section rows, cells that wrap, unit cells with several units and missing
cells; the parser must return the same rows, cells and suggestions from each shape. A random
prose outline run into one paragraph must read back as the same tree.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.plans import table_shapes as shapes
from tests.plans.test_properties import STYLES, cn
from tracker.plans import parse_document, parse_text

UNIT_ROLES = ("lead_units", "support_units", "units")
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def tables(draw: st.DrawFn, *, header: bool | None = None, flattened: bool = False) -> shapes.Table:
    units = draw(st.sampled_from([["lead_units", "support_units"], ["units"], ["lead_units"]]))
    extra = units + draw(st.lists(st.sampled_from(["leaders", "deadline_text"]), unique=True))
    extra = draw(st.permutations(extra))
    if flattened and "lead_units" in extra and "support_units" in extra:
        # a flattened copy keeps no border between two unit columns: the lead comes first
        extra = [r for r in extra if r != "support_units"]
        extra.insert(extra.index("lead_units") + 1, "support_units")
    columns = ["number", "text", *extra]
    with_header = draw(st.booleans()) if header is None else header
    headers = [draw(st.sampled_from(shapes.HEADER_WORDS[role])) for role in columns] if with_header else None
    count = draw(st.integers(1 if with_header else 2, 40))  # one row with no header is no table
    rows = []
    section = 0
    for n in range(1, count + 1):
        row = shapes.Row(number=str(n), text=draw(st.sampled_from(shapes.TASKS + [shapes.LONG_TASK])))
        if section < len(shapes.SECTIONS) and (n == 1 and draw(st.booleans()) or n > 1 and
                                               draw(st.integers(0, 9)) == 0 and section):
            row.section = shapes.SECTIONS[section]
            section += 1
        for role in extra:
            if role == "deadline_text":
                if draw(st.integers(0, 4)):
                    row.cells[role] = [draw(st.sampled_from(shapes.DEADLINES))]
            elif role == "leaders":
                row.cells[role] = draw(st.lists(st.sampled_from(shapes.LEADERS), min_size=0, max_size=2, unique=True))
            else:
                low = 1 if role != "support_units" else 0
                high = 1 if flattened and role == "lead_units" and "support_units" in extra else 3
                row.cells[role] = draw(st.lists(st.sampled_from(shapes.UNITS), min_size=low, max_size=high,
                                                unique=True))
        rows.append(row)
    # a unit named twice in one row is read once
    for row in rows:
        seen: set[str] = set()
        for role in UNIT_ROLES:
            if role in row.cells:
                row.cells[role] = [u for u in row.cells[role] if not (u in seen or seen.add(u))]
    return shapes.Table(columns, headers, rows)


def _expected(table: shapes.Table) -> list[dict]:
    out = []
    for row in table.rows:
        want = {"number": row.number, "text": row.text}
        for role in (*UNIT_ROLES, "leaders"):
            if row.cells.get(role):
                want[role] = row.cells[role]
        if row.cells.get("deadline_text"):
            want["deadline_text"] = row.cells["deadline_text"][0]
        out.append(want)
    return out


def _got(outline: dict, keys: tuple[str, ...] = ("lead_units", "support_units", "units", "leaders",
                                                  "deadline_text")) -> list[dict]:
    rows = []
    for item in shapes.read_back(outline):
        got = {"number": item["number"], "text": item["text"]}
        for key in keys:
            if item.get(key):
                got[key] = item[key]
        rows.append(got)
    return rows


def _check(outline: dict, table: shapes.Table) -> None:
    got, want = _got(outline), _expected(table)
    assert [g["number"] for g in got] == [w["number"] for w in want]
    for g, w in zip(got, want, strict=True):
        assert g == w, (g, w)
    sections = [row.section for row in table.rows if row.section]
    found = [f"{item['number']}、{item['text']}" for plan in outline["plans"] for item in plan["items"]
             if not item["number"].isdigit()]
    assert found == sections


@SETTINGS
@given(tables(header=True), st.sampled_from(["tabs", "excel_copy", "pipes", "markdown"]))
def test_delimited_with_header(table: shapes.Table, shape: str) -> None:
    text = shapes.TEXT_SHAPES[shape](table)
    _check(parse_text(text).to_dict(), table)


@SETTINGS
@given(tables(header=False), st.sampled_from(["tabs", "pipes"]))
def test_delimited_without_header(table: shapes.Table, shape: str) -> None:
    text = shapes.TEXT_SHAPES[shape](table)
    outline = parse_text(text).to_dict()
    # without a header the two unit columns cannot be told apart by their words: every unit is kept
    got = _got(outline, ("deadline_text", "leaders"))
    want = [{k: v for k, v in w.items() if k not in UNIT_ROLES} for w in _expected(table)]
    assert got == want
    for item, row in zip(shapes.read_back(outline), table.rows, strict=True):
        named = set(item.get("lead_units", []) + item.get("support_units", []) + item.get("units", []))
        assert named == {u for role in UNIT_ROLES for u in row.cells.get(role, [])}


@SETTINGS
@given(tables(header=True, flattened=True),
       st.sampled_from(["one_cell_per_line", "one_cell_per_line_blank", "one_cell_per_line_wrapped"]))
def test_one_cell_per_line(table: shapes.Table, shape: str) -> None:
    text = shapes.TEXT_SHAPES[shape](table)
    _check(parse_text(text).to_dict(), table)


@SETTINGS
@given(tables(header=True))
def test_glued(table: shapes.Table) -> None:
    outline = parse_text(shapes.render_glued(table)).to_dict()
    rows = shapes.read_back(outline)
    assert [item["number"] for item in rows] == [row.number for row in table.rows]
    for item, row in zip(rows, table.rows, strict=True):
        assert item["text"].startswith(row.text[:8])


@SETTINGS
@given(tables(), st.sampled_from(["docx", "xlsx"]))
def test_office_files(table: shapes.Table, shape: str) -> None:
    data = shapes.FILE_SHAPES[shape](table)
    outline = parse_document(data, f"table.{shape}").to_dict()
    if table.headers:
        _check(outline, table)
    else:
        assert [item["number"] for item in shapes.read_back(outline)] == [row.number for row in table.rows]


# --- a prose outline run into one paragraph -------------------------------------------

RUN_IN_STYLES = ["cn_dun", "cn_paren", "arabic_dot"]
WORDS = "加强管理推进落实完善服务建设提升优化创新协调保障监督组织培训宣传检查考核"


@st.composite
def run_in_outlines(draw: st.DrawFn) -> list[tuple[int, int, str]]:
    """(level, number value, text) in document order; levels use 一、 （一） 1. as plans do."""
    items: list[tuple[int, int, str]] = []
    counters = [0, 0, 0]
    level = 0
    for _ in range(draw(st.integers(2, 18))):
        choices = [lvl for lvl in range(0, min(level + 2, 3))]
        level = draw(st.sampled_from(choices)) if items else 0
        counters[level] += 1
        for deeper in range(level + 1, 3):
            counters[deeper] = 0
        text = draw(st.text(alphabet=WORDS, min_size=2, max_size=20)) + "。"
        items.append((level, counters[level], text))
    return items


def _render_marker(level: int, value: int) -> str:
    style = RUN_IN_STYLES[level]
    return STYLES[style][0](value)


@SETTINGS
@given(run_in_outlines())
def test_run_in_paragraph(items: list[tuple[int, int, str]]) -> None:
    paragraph = "".join(_render_marker(level, value) + text for level, value, text in items)
    outline = parse_text("示范县2026年重点工作实施方案\n" + paragraph + "\n").to_dict()
    got: list[tuple[int, str, str]] = []

    def walk(children: list[dict]) -> None:
        for item in children:
            got.append((item["level"], item["number"], item["text"]))
            walk(item["children"])

    for plan in outline["plans"]:
        walk(plan["items"])
    want = [(level + 1, STYLES[RUN_IN_STYLES[level]][1](value), text) for level, value, text in items]
    assert got == want


def test_cn_helper_matches_the_prose_property_test() -> None:
    assert cn(12) == "十二"
