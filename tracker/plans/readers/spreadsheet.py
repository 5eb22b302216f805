"""Spreadsheets: Excel (.xlsx) workbooks, each sheet a grid of cells with merged ranges spread over the
cells they cover, and CSV files in any Chinese encoding."""

from __future__ import annotations

import csv
import datetime as _dt
import io
import warnings
import zipfile
from collections.abc import Iterable
from typing import Any

from ..errors import PlanInputError
from .blocks import Block
from .tables import HEADER_SEARCH_ROWS, find_header, table_rows_to_blocks
from .text import decode_text, normalize_text


def _xlsx_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, _dt.datetime):
        if value.hour or value.minute or value.second:
            return f"{value.year}年{value.month}月{value.day}日 {value:%H:%M}"
        return f"{value.year}年{value.month}月{value.day}日"
    if isinstance(value, _dt.date):
        return f"{value.year}年{value.month}月{value.day}日"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return normalize_text(str(value)).strip()


def _merged_ranges(archive: zipfile.ZipFile, sheet_path: str) -> list[tuple[int, int, int, int]]:
    """The merged ranges of one sheet (read-only openpyxl does not expose them)."""
    from lxml import etree
    from openpyxl.utils.cell import range_boundaries

    ranges: list[tuple[int, int, int, int]] = []
    name = sheet_path.lstrip("/")
    if name not in archive.namelist():
        return ranges
    with archive.open(name) as stream:
        for _, element in etree.iterparse(stream, events=("end",), resolve_entities=False, huge_tree=False):
            if element.tag.endswith("}mergeCell"):
                ref = element.get("ref")
                if ref:
                    try:
                        min_col, min_row, max_col, max_row = range_boundaries(ref)
                    except (TypeError, ValueError):
                        continue
                    ranges.append((min_row, min_col, max_row, max_col))
            elif element.tag.endswith("}row"):
                element.clear()
    return ranges


def read_xlsx(data: bytes) -> list[Block]:
    import openpyxl

    with warnings.catch_warnings():
        # openpyxl warns about every feature it drops (data validation, conditional formats)
        warnings.simplefilter("ignore")
        return _read_workbook(openpyxl, data)


def _read_workbook(openpyxl: Any, data: bytes) -> list[Block]:
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    blocks: list[Block] = []
    found_table = False
    header_only = False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for sheet in workbook.worksheets:
                if not hasattr(sheet, "iter_rows"):
                    continue  # a chart sheet
                path = getattr(sheet, "_worksheet_path", "")
                merged = _merged_ranges(archive, path) if path else []
                grid = _sheet_grid(sheet.iter_rows(values_only=True), merged)
                sheet_blocks = table_rows_to_blocks(grid, HEADER_SEARCH_ROWS)
                if sheet_blocks is None or not any(block.row for block in sheet_blocks):
                    header_only = header_only or (sheet_blocks is not None or find_header(grid) is not None)
                    continue
                found_table = True
                blocks.extend(sheet_blocks)
    finally:
        workbook.close()
    if not found_table:
        raise PlanInputError("table_empty" if header_only else "no_table")
    return blocks


def read_csv(data: bytes) -> list[Block]:
    """A CSV file (comma, semicolon or tab separated, any Chinese encoding) read as a task table."""
    text = decode_text(data)
    sample = text[:20000]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t，")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    try:
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error as exc:
        raise PlanInputError("corrupt_csv") from exc
    grid = [[((r, c), normalize_text(cell).strip()) for c, cell in enumerate(row)] for r, row in enumerate(rows)]
    width = max((len(row) for row in grid), default=0)
    for r, row in enumerate(grid):
        row.extend(((r, c), "") for c in range(len(row), width))
    blocks = table_rows_to_blocks(grid, HEADER_SEARCH_ROWS)
    if blocks is None or not any(block.row for block in blocks):
        raise PlanInputError("table_empty" if find_header(grid) is not None else "no_table")
    return blocks


def _sheet_grid(
    rows: Iterable[tuple[Any, ...]], merged: list[tuple[int, int, int, int]]
) -> list[list[tuple[Any, str]]]:
    """Rows of (identity, text); a merged range gives every cell it covers the top-left value."""
    owner: dict[tuple[int, int], tuple[int, int]] = {}
    for min_row, min_col, max_row, max_col in merged:
        if (max_row - min_row + 1) * (max_col - min_col + 1) > 100000:
            continue
        for r in range(min_row, max_row + 1):
            for c in range(min_col, max_col + 1):
                owner[(r, c)] = (min_row, min_col)
    values: dict[tuple[int, int], str] = {}
    grid: list[list[tuple[Any, str]]] = []
    blank_run = 0
    for r, row in enumerate(rows, start=1):
        cells: list[tuple[Any, str]] = []
        for c, value in enumerate(row, start=1):
            text = _xlsx_value(value)
            key = owner.get((r, c), (r, c))
            if key == (r, c):
                values[key] = text
            else:
                text = values.get(key, "")
            cells.append((key, text))
        while cells and not cells[-1][1] and cells[-1][0] == (r, len(cells)):
            cells.pop()
        if any(text for _, text in cells):
            blank_run = 0
        else:
            blank_run += 1
            if blank_run > 1000:
                break  # formatting applied to a million empty rows
        grid.append(cells)
    width = max((len(row) for row in grid), default=0)
    for r, row in enumerate(grid, start=1):
        row.extend(((r, c), "") for c in range(len(row) + 1, width + 1))
    return grid
