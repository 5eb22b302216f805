"""Task tables that arrive as text: pasted from Word, WPS or Excel, or copied off a web page.

Each shape is found in the lines of a text and turned into the grid that
:mod:`.tables` reads, so a table reads the same whatever shape it came in:

- **delimited**: cells separated by tabs (Word, WPS, Excel; Excel quotes a cell that holds
  line breaks), or between pipes (``a | b | c``, Markdown tables);
- **one cell per line**: a web table flattened by a browser or a mirror, with or without blank
  lines between cells; a cell may wrap over several lines, a unit cell may hold one unit per
  line, a cell may be missing, a row may have unnumbered sub-rows, and the header may repeat
  after a page break. Each line is placed in the column whose contents it resembles;
- **glued**: a viewer that drops every separator (…配合单位1增加教育资源…), where the rows are
  found by their numbers counting up between the cells.

The text around a table (the notice that carries it, its 附件 caption, notes after it) stays
text; every block keeps the number of the source line it came from.
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Sequence

from ..metadata import looks_like_deadline, unit_like
from ..numbering import fold_width, match_marker
from ..patterns import lazy
from ..slotted import slotted
from .blocks import Block
from .tables import (
    DEADLINE,
    HEADER_MAX,
    LEAD,
    LEADERS,
    NOTE,
    NUMBER,
    OWNERS,
    PERIOD,
    SUPPORT,
    TASK_WORDS,
    TEXT,
    UNIT_ROLES,
    UNITS,
    WHEN,
    Columns,
    Record,
    find_header,
    grid_records,
    header_columns,
    header_role,
    infer_columns,
    is_caption,
    is_row_number,
    looks_like_people,
    looks_like_time,
    looks_like_units,
    row_number_value,
)


@slotted
class Region:
    """Lines ``start``..``end`` (exclusive) of a text that hold one table, read into records."""

    start: int
    end: int
    records: list[Record]
    #: lines inside the region that stay text (a title glued in front of a table)
    texts: dict[int, str]
    #: the table's caption: (line, text) of the title that names it
    caption: tuple[int, str] | None = None


def table_regions(lines: Sequence[str]) -> list[Region]:
    """Every task table in the lines of a text, in order, none overlapping."""
    regions: list[Region] = []
    text = "\n".join(lines)
    finders = []
    if "\t" in text or "|" in text or "｜" in text:
        finders.append(_delimited_regions)
    if "序号" in text or "编号" in text:
        finders += [_one_cell_regions, _glued_regions]
    for finder in finders:
        for region in finder(lines):
            if region.records and not any(r.start < region.end and region.start < r.end for r in regions):
                regions.append(region)
    regions.sort(key=lambda r: r.start)
    taken = 0
    for region in regions:
        _find_caption(lines, region, taken)
        taken = region.end
    return regions


def _find_caption(lines: Sequence[str], region: Region, floor: int) -> None:
    """The title just above a table (blank lines and an 附件 line between are fine) names it."""
    for index, text in sorted(region.texts.items()):
        if is_caption(text):
            region.caption = (index, text)
            return
    for record in region.records:
        if record.section and not record.number and is_caption(record.text):
            record.title = True
            return
        if not record.section:
            break
    k = region.start - 1
    while k >= floor:
        text = lines[k].strip()
        if not text or re.match(r"^附件\s*\d*[：:]?$", text):
            k -= 1
            continue
        if is_caption(text):
            region.start = k
            region.texts[k] = text
            region.caption = (k, text)
        return


def text_with_tables(lines: Sequence[str], plain: Sequence[Block] | None = None,
                     regions: list[Region] | None = None) -> list[Block]:
    """One block per line, except that the lines of each table become its rows' blocks.

    Every block keeps its source line in ``Block.line`` (several rows glued on one line share it).
    """
    regions = table_regions(lines) if regions is None else regions

    def line_block(index: int) -> Block:
        if plain is not None:
            return _at(plain[index], index)
        return Block(lines[index].strip(), line=index)

    if not regions:
        return [line_block(index) for index in range(len(lines))]
    out: list[Block] = []
    position = 0
    for region in regions:
        out.extend(line_block(index) for index in range(position, region.start))
        for index, text in sorted(region.texts.items()):
            caption = region.caption is not None and region.caption[0] == index
            out.append(Block(text, line=index, title=caption))
        rows = [record for record in region.records if not (record.section and not record.number)]
        for record in region.records:
            line = record.line if record.line is not None else region.start
            if record.section and not record.number:
                out.append(Block(record.text, line=line, title=record.title))
                continue
            row = record.as_row()
            if rows and record is rows[-1]:
                row["table_end"] = True
            out.append(Block(record.text, row=row, line=line))
        position = region.end
    out.extend(line_block(index) for index in range(position, len(lines)))
    return out


def _at(block: Block, line: int) -> Block:
    if block.line is None:
        block.line = line
    return block


# ---------------------------------------------------------------------------
# delimited: tabs and pipes

_PIPE_SPLIT_RE = lazy(r"\s*[|｜]\s*")
_MD_SEPARATOR_RE = lazy(r"^\|?\s*:?-{2,}:?\s*(?:[|｜]\s*:?-{2,}:?\s*)*[|｜]?$")


def _cells_of(line: str, kind: str) -> list[str] | None:
    if kind == "tab":
        return line.split("\t") if "\t" in line.strip(" ") else None
    stripped = line.strip()
    if stripped.count("|") + stripped.count("｜") < 2:
        return None
    cells = _PIPE_SPLIT_RE.split(stripped)
    if stripped[:1] in "|｜":
        cells = cells[1:]
    if stripped[-1:] in "|｜":
        cells = cells[:-1]
    return cells


def _delimited_regions(lines: Sequence[str]) -> list[Region]:
    out: list[Region] = []
    for kind in ("tab", "pipe"):
        # only lines with the delimiter can start a table: jump from one to the next
        if kind == "tab":
            starts = [k for k, line in enumerate(lines) if "\t" in line]
        else:
            starts = [k for k, line in enumerate(lines) if "|" in line or "｜" in line]
        next_start = 0
        i = 0
        while i < len(lines):
            while next_start < len(starts) and starts[next_start] < i:
                next_start += 1
            if next_start >= len(starts):
                break
            i = starts[next_start]
            if _cells_of(lines[i], kind) is None:
                i += 1
                continue
            # a run of delimited lines; a line without a delimiter right after one may sit inside it
            # (a Word cell of two paragraphs), and a blank line before the next delimited line; a
            # blank line and then text (a caption, the next table's title) ends the table
            start = j = i
            last = i
            blank = False
            while j < len(lines):
                if _cells_of(lines[j], kind) is not None:
                    last = j
                    blank = False
                elif not lines[j].strip():
                    blank = True
                elif blank or j - last > 3:
                    break
                j += 1
            end = last + 1
            if kind == "tab":
                # an Excel cell in quotes may hold line breaks past the last line with a tab
                quotes = sum(lines[k].count('"') for k in range(start, end))
                while quotes % 2 and end < len(lines) and end - last <= 20:
                    quotes += lines[end].count('"')
                    end += 1
            region = _read_delimited(lines, start, end, kind)
            if region is not None:
                out.append(region)
            i = end
    return out


def _read_delimited(lines: Sequence[str], start: int, end: int, kind: str) -> Region | None:
    raw: list[tuple[int, list[str]]] = []
    if kind == "tab" and any('\t"' in lines[k] or lines[k].startswith('"') for k in range(start, end)):
        # Excel quotes a cell holding line breaks: read the region as tab-separated values (csv is
        # loaded here, for the few texts that need it, not at every start of the CLI)
        import csv

        text = "\n".join(lines[start:end])
        line_of = _line_starts(lines, start, end)
        reader = csv.reader(io.StringIO(text), delimiter="\t")
        try:
            for row in reader:
                if any(cell.strip() for cell in row):
                    raw.append((line_of(reader.line_num - _newlines(row)), row))
        except csv.Error:
            raw = []
    if not raw:
        for k in range(start, end):
            cells = _cells_of(lines[k], kind)
            if cells is None:
                if lines[k].strip() and raw:
                    raw[-1][1][-1] += "\n" + lines[k].strip()  # a further paragraph of the last cell
                continue
            if kind == "pipe" and _MD_SEPARATOR_RE.match(lines[k].strip()):
                continue
            raw.append((k, cells))
    if len(raw) < 2:
        return None
    width = _usual_width([cells for _, cells in raw])
    if width < 2:
        return None
    rows = _join_split_rows(raw, width) if kind == "tab" else raw
    grid = [[((r, c), cell.strip()) for c, cell in enumerate(cells)] for r, (_, cells) in enumerate(rows)]
    for row in grid:
        row.extend(((None, c), "") for c in range(len(row), width))
    records = _records(grid, [line for line, _ in rows])
    if not records:
        return None
    texts = {}
    first_row_line = rows[0][0]
    for k in range(start, first_row_line):
        texts[k] = lines[k].strip()
    return Region(start, end, records, texts)


def _newlines(row: list[str]) -> int:
    return sum(cell.count("\n") for cell in row)


def _line_starts(lines: Sequence[str], start: int, end: int):
    def line_of(reader_line: int) -> int:
        return min(end - 1, start + max(0, reader_line - 1))

    return line_of


def _usual_width(rows: list[list[str]]) -> int:
    counts: dict[int, int] = {}
    for cells in rows:
        counts[len(cells)] = counts.get(len(cells), 0) + 1
    return max(counts, key=lambda w: (counts[w], w))


def _join_split_rows(raw: list[tuple[int, list[str]]], width: int) -> list[tuple[int, list[str]]]:
    """Word copies a cell of two paragraphs as a line break inside the row: join such pieces."""
    out: list[tuple[int, list[str]]] = []
    current: tuple[int, list[str]] | None = None
    for line, cells in raw:
        if current is not None and current[1] and len(current[1]) < width \
                and len(current[1]) + len(cells) - 1 <= width:
            current[1][-1] += "\n" + cells[0]
            current[1].extend(cells[1:])
        else:
            if current is not None:
                out.append(current)
            current = (line, list(cells))
        if len(current[1]) >= width:
            out.append(current)
            current = None
    if current is not None:
        out.append(current)
    return out


def _records(grid: list[list[tuple[object, str]]], lines: list[int]) -> list[Record]:
    found = find_header(grid)
    if found is not None:
        header_at, columns = found
        body, body_lines = grid[header_at + 1:], lines[header_at + 1:]
        header_texts = [text for _, text in grid[header_at]]
    else:
        texts = [[text for _, text in row] for row in grid]
        columns = infer_columns(texts)
        if columns is None or (columns.first(NUMBER) is None and len(grid) < 3):
            return []
        body, body_lines, header_texts = grid, lines, None
    records = grid_records(body, columns, lines=body_lines, header_texts=header_texts)
    if found is not None and header_at > 0:
        title = [Record(number="", text=" ".join(t for _, t in row if t), section=True, line=lines[k])
                 for k, row in enumerate(grid[:header_at]) if any(t for _, t in row)]
        records = title + records
    return records


# ---------------------------------------------------------------------------
# one cell per line

_NOTE_LINE_RE = lazy(r"^(?:注|说明|备注|附注|附件|附)\s*\d*\s*[：:]|^附件\s*\d*$")
_SENTENCE_RE = lazy(r"[。；;，,！？!?]")


def _is_header_cell(line: str) -> bool:
    return 0 < len(line) <= HEADER_MAX and not _SENTENCE_RE.search(line) and not is_row_number(line)


_NUMBER_HEADERS = frozenset({"序号", "编号", "序", "No", "No.", "NO", "NO.", "no", "no."})


def _one_cell_regions(lines: Sequence[str]) -> list[Region]:
    out: list[Region] = []
    stripped = [line.strip() for line in lines]
    i = 0
    while i < len(stripped):
        header = _header_run(stripped, i) if stripped[i] in _NUMBER_HEADERS else None
        if header is None:
            i += 1
            continue
        cells, first_row = header
        region = _read_one_cell(stripped, i, first_row, cells)
        if region is None:
            i += 1
            continue
        out.append(region)
        i = region.end
    return out


def _is_section_line(line: str) -> bool:
    """二、推进城乡建设: a row that names a part of the table, numbered as a heading."""
    if not line or line[0] not in _SECTION_START or len(line) > 40:
        return False
    marker = match_marker(line)
    return marker is not None and (marker.kind == "cn" or marker.kind.startswith("di_")) and len(line) <= 40


def _header_run(lines: list[str], i: int) -> tuple[list[str], int] | None:
    """The header cells starting at line ``i`` (序号 first) and the line after the last of them."""
    found = header_role(lines[i])
    if found is None or found[0] != NUMBER:
        return None
    cells = [lines[i]]
    j = i + 1
    body = j
    while j < len(lines):
        line = lines[j]
        if not line:
            j += 1
            continue
        if is_row_number(line):
            break
        if _is_section_line(line):
            j += 1  # a section row before the first row
            continue
        if not _is_header_cell(line) or len(cells) > 12 or body < j and _is_section_line(lines[body - 1]):
            return None
        cells.append(line)
        j += 1
        body = j
    if j >= len(lines) or row_number_value(lines[j]) != 1 or len(cells) < 3:
        return None
    if header_columns(cells) is None:
        return None
    return cells, body


_SECTION = "section"
_SECTION_START = frozenset("一二三四五六七八九十（(第")


def _next_filled(lines: list[str], j: int) -> int:
    while j < len(lines) and not lines[j]:
        j += 1
    return j


def _starts_table(lines: list[str], j: int) -> bool:
    """A line that begins a table of another shape: a delimited header or a glued one."""
    if j >= len(lines):
        return False
    line = lines[j]
    if "序号" not in line and "编号" not in line:
        return False
    for kind in ("tab", "pipe"):
        cells = _cells_of(line, kind)
        if cells is not None and header_columns(cells) is not None:
            return True
    return _GLUED_HEADER_RE.search(line) is not None


def _captions_table(lines: list[str], j: int) -> bool:
    """The title of a table that begins on the next filled line."""
    following = _next_filled(lines, j + 1)
    if following >= len(lines) or ("序号" not in lines[following] and "编号" not in lines[following]):
        return False
    return is_caption(lines[j]) and _starts_table(lines, following)


def _drop_caption(rows: list[tuple[int, str, list[tuple[int, str]]]]) -> None:
    """The title of the table that follows is not a cell of this table's last row."""
    if rows and rows[-1][2] and rows[-1][1] != _SECTION and is_caption(rows[-1][2][-1][1]) \
            and len(rows[-1][2]) > 1:
        rows[-1][2].pop()


def _read_one_cell(lines: list[str], header_line: int, first_row: int, header: list[str]) -> Region | None:
    columns = header_columns(header)
    if columns is None or columns.first(NUMBER) != 0:
        return None
    roles = [columns.roles.get(c, TEXT if c in columns.text else None) for c in range(1, len(header))]
    header_set = set(header)
    rows: list[tuple[int, str, list[tuple[int, str]]]] = []  # (line, number, [(line, piece)])
    expected = 1
    since_row = 0
    j = first_row
    end = len(lines)
    while j < len(lines):
        line = lines[j]
        if not line:
            j += 1
            continue
        if is_row_number(line) and row_number_value(line) == expected:
            rows.append((j, fold_width(line).rstrip("、.．"), []))
            expected += 1
            since_row = 0
            j += 1
            continue
        if _NOTE_LINE_RE.match(line):
            end = j
            break
        since_row += 1
        if since_row > 6 * len(roles):
            end = j  # this long without a row number: the text after the table
            break
        if _is_section_line(line):
            rows.append((j, _SECTION, [(j, line)]))  # 二、推进城乡建设: a section row inside the table
            j += 1
            continue
        if _starts_table(lines, j) or _captions_table(lines, j):
            end = j  # another table begins (or its title): this one has ended
            break
        found = header_role(line) if len(line) <= HEADER_MAX else None
        if found is not None and found[0] == NUMBER:
            if _header_run(lines, j) is not None and expected > 2:
                end = j  # the next table's header: its rows count from 1 again
                _drop_caption(rows)
                break
            # the header again after a page break: skip its cells
            k = j + 1
            while k < len(lines) and (not lines[k] or lines[k] in header_set):
                k += 1
            j = k
            continue
        if rows and rows[-1][1] != _SECTION:
            rows[-1][2].append((j, line))
        j += 1
    while rows and rows[-1][1] == _SECTION:
        rows.pop()  # a heading after the last row belongs to the text after the table
    if len(rows) < 1:
        return None
    # a last row that runs on far past the table's width has swallowed the text after the table
    width = len(roles)
    line_no, number, pieces = rows[-1]
    if len(pieces) > 4 * width:
        pieces = pieces[:2 * width]
        rows[-1] = (line_no, number, pieces)
        end = pieces[-1][0] + 1 if pieces else line_no + 1
    grid: list[list[tuple[object, str]]] = []
    row_lines: list[int | None] = []
    wrap = wrap_width([text for _, n, pieces in rows if n != _SECTION for _, text in pieces])
    for r, (line_no, number, pieces) in enumerate(rows):
        if number == _SECTION:
            grid.append([((r, 0, 0), pieces[0][1])] + [((r, 0, c + 1), "") for c in range(width)])
            row_lines.append(line_no)
            continue
        for s, cells in enumerate(_align(pieces, roles, wrap)):
            grid.append([((r, s, 0), number if s == 0 else "")] +
                        [((r, s, c + 1), cell) for c, cell in enumerate(cells)])
            row_lines.append(line_no if s == 0 else None)
    records = grid_records(grid, columns, lines=row_lines, header_texts=None)
    ends = {line_no: pieces[-1][0] for line_no, _, pieces in rows if pieces}
    for record in records:
        if record.line in ends and (record.last_line or 0) < ends[record.line]:
            record.last_line = ends[record.line]  # the row's lines, for the preview to highlight
    last = max((p[0] for _, _, pieces in rows for p in pieces), default=rows[-1][0])
    end = min(end, last + 1)
    return Region(header_line, end, records, {})


# how well a line fits a column of each role, from what the line looks like
@functools.lru_cache(maxsize=8192)
def _looks(piece: str) -> tuple[bool, bool, bool, bool, bool, bool]:
    """What a line looks like, worked out once: (units, people, deadline, time, short name, unit name)."""
    units = looks_like_units(piece)
    people = not units and looks_like_people(piece)
    deadline = not units and not people and looks_like_deadline(piece)
    time = not units and not people and looks_like_time(piece)
    short = 2 <= len(piece) <= 8 and not _SENTENCE_RE.search(piece) and not _DIGIT_RE.search(piece)
    return units, people, deadline, time, short, short and unit_like(piece)


_DIGIT_RE = lazy(r"[\d%％]")


def _fit(piece: str, role: str | None) -> float:
    """How well a line fits a column of ``role``, from what the line looks like."""
    units, people, deadline, time, short, unit_name = _looks(piece)
    if role in UNIT_ROLES:
        if units:
            return 2.5
        if short and not time and not deadline:
            return 0.6 if unit_name else 0.3
        return -3.0
    if role in (LEADERS, OWNERS):
        return 2.5 if people else -3.0
    if role == DEADLINE:
        return 2.5 if deadline else -3.0
    if role == WHEN:
        return 2.5 if time else -3.0
    if role == PERIOD:
        return 1.5 if deadline else -2.0
    penalty = 2.5 if units or people else 2.0 if deadline or time else 0.0
    if role == TEXT:
        return 1.0 - penalty
    if role == NOTE:
        return 0.5 - penalty
    return 0.3 - penalty


_SKIP = 0.2
_SKIP_LEAD = 0.5
_LAST_COLUMN = 0.5  # a row's last line most often names its 责任单位 when that column ends the table
_SUBROW = 2.0
_CONTINUE = {"list": 0.3, "lead": 1.2, "text": 0.8, "wrapped": 0.1, "short": 1.5}


@functools.lru_cache(maxsize=8192)
def _fits(piece: str, roles: tuple[str | None, ...]) -> tuple[float, ...]:
    """How well a line fits each column of a table (cells repeat down a table: read once)."""
    return tuple(_fit(piece, role) for role in roles)


@functools.lru_cache(maxsize=256)
def _skips(roles: tuple[str | None, ...]) -> list[list[float]]:
    """The cost of going from column p (row p + 1; -1 before the first) to column c, per table."""
    m = len(roles)
    return [[_skip(roles, p, c) for c in range(m)] for p in range(-1, m)]


def _skip(roles: tuple[str | None, ...] | list[str | None], after: int, before: int) -> float:
    """Leaving the columns between empty: a missing cell; a 牵头单位 is seldom the one missing."""
    return sum(_SKIP_LEAD if roles[c] == LEAD else _SKIP for c in range(after + 1, before))


def _continue_cost(role: str | None, previous: str, wrap: int | None) -> float:
    if role == LEAD:
        return _CONTINUE["lead"]  # a flattened copy keeps no border before 配合单位: one lead, the rest support
    if role in UNIT_ROLES or role in (LEADERS, OWNERS):
        return _CONTINUE["list"]
    if wrap and len(previous) >= wrap - 1 and previous[-1] not in "。；;！？!?）)”":
        return _CONTINUE["wrapped"]  # a line cut at the page's width goes on in the next
    if role in (DEADLINE, WHEN, PERIOD):
        return _CONTINUE["short"]
    return _CONTINUE["text"]


def wrap_width(pieces: list[str]) -> int | None:
    """The width a copy cut its long cells at: the one length many long lines share, if any."""
    lengths = [len(p) for p in pieces if len(p) >= 10]
    if len(lengths) < 3:
        return None
    counts: dict[int, int] = {}
    for n in lengths:
        counts[n] = counts.get(n, 0) + 1
    width, count = max(counts.items(), key=lambda kv: (kv[1], kv[0]))
    return width if count >= max(3, 0.25 * len(lengths)) else None


def _align(pieces: list[tuple[int, str]], roles: list[str | None], wrap: int | None = None) -> list[list[str]]:
    """Place each line of a row in a column, in order; going back to an earlier column starts a
    sub-row. Returns the row's cells, then each sub-row's."""
    m = len(roles)
    if not pieces:
        return [[""] * m]
    texts = [p for _, p in pieces]
    key = tuple(roles)
    fits = [_fits(t, key) for t in texts]
    skips = _skips(key)
    score = [fits[0][c] - skips[0][c] for c in range(m)]
    back: list[list[int]] = []  # per line after the first: the column the best path came from
    for n in range(1, len(texts)):
        cont = [_continue_cost(roles[c], texts[n - 1], wrap) for c in range(m)]
        new = [0.0] * m
        came = [0] * m
        # back to an earlier column starts a sub-row, at one cost whatever the column: for each c
        # the best column after it (the first of equals, as a scan in order would find)
        later: list[tuple[float, int]] = [(float("-inf"), 0)] * m
        for c in range(m - 2, -1, -1):
            value, column = later[c + 1]
            later[c] = (score[c + 1], c + 1) if score[c + 1] >= value else (value, column)
        for c in range(m):
            best_value, best_from = float("-inf"), 0
            for p in range(c):
                value = score[p] - skips[p + 1][c]  # the next cell, perhaps past empty ones
                if value > best_value:
                    best_value, best_from = value, p
            value = score[c] - cont[c]  # the same cell goes on
            if value > best_value:
                best_value, best_from = value, c
            value, column = later[c]
            if value - _SUBROW > best_value:
                best_value, best_from = value - _SUBROW, column
            new[c] = best_value + fits[n][c]
            came[c] = best_from
        back.append(came)
        score = new
    if roles[m - 1] == UNITS:
        score[m - 1] += _LAST_COLUMN
    col = max(range(m), key=lambda c: score[c])
    columns = [col]
    for came in reversed(back):
        col = came[col]
        columns.append(col)
    columns.reverse()
    rows: list[list[list[str]]] = [[[] for _ in range(m)]]
    for n, (col, text) in enumerate(zip(columns, texts, strict=True)):
        if n and col < columns[n - 1]:
            rows.append([[] for _ in range(m)])
        rows[-1][col].append(text)
    out = []
    for row in rows:
        cells = []
        for col, parts in enumerate(row):
            joiner = "\n" if roles[col] in UNIT_ROLES or roles[col] in (LEADERS, OWNERS) else ""
            cells.append(joiner.join(parts))
        out.append(cells)
    return out


# ---------------------------------------------------------------------------
# glued cells

_HEADER_WORDS = tuple(sorted({
    *(word for word in TASK_WORDS if len(word) >= 2),
    "序号", "编号", "牵头单位", "牵头部门", "主责单位", "主责部门", "配合单位", "配合部门", "协办单位", "协办部门",
    "责任单位", "责任部门", "承办单位", "实施单位", "责任领导", "分管领导", "牵头领导", "包保领导", "责任人",
    "联系人", "完成时限", "完成时间", "时间节点", "时限要求", "完成期限", "截止时间", "进度安排", "备注",
}, key=len, reverse=True))
_GLUED_HEADER_RE = lazy("(?:序号|编号)(?:[\u4e00-\u9fff]{0,4}(?:" + "|".join(_HEADER_WORDS) + ")){2,}")
_CHUNK_RE = lazy(r"^\d{1,3}、")
_NUMBER_AT_RE = lazy(r"(?<![\d.．%％])(\d{1,3})(?=[\u4e00-\u9fff“\"《(（])")
# a number followed by these is a quantity, not a row number
_QUANTITY_AFTER = "个人家户所座项条次名万亿千百元年月日号台辆间张份批期届岁倍吨亩米公里平方处栋套块本场位"


def _glued_regions(lines: Sequence[str]) -> list[Region]:
    out: list[Region] = []
    for i, line in enumerate(lines):
        m = _GLUED_HEADER_RE.search(line) if "序号" in line or "编号" in line else None
        if m is None:
            continue
        header = _split_glued_header(m.group())
        if header is None:
            continue
        columns = header_columns(header)
        if columns is None:
            continue
        # the rest of the text, with a viewer's chunk numbers (1、 2、) at line starts taken out
        parts = [(i, line[m.end():])]
        end = i + 1
        for k in range(i + 1, len(lines)):
            nxt = lines[k].strip()
            if not nxt:
                continue
            if not _CHUNK_RE.match(nxt):
                break
            parts.append((k, _CHUNK_RE.sub("", nxt)))
            end = k + 1
        body = "".join(text for _, text in parts)
        body = body.replace(m.group(), "")  # the header again on the next page
        records = _glued_rows(body, i, columns, header)
        if records:
            title = _CHUNK_RE.sub("", line[:m.start()]).strip()
            texts = {i: title} if title else {}
            # the rows are placed on the lines after the title (one block per source line)
            out.append(Region(i, end, records, texts))
    return out


def _split_glued_header(text: str) -> list[str] | None:
    cells: list[str] = []
    pos = 0
    while pos < len(text):
        for lead in range(0, 5):
            word = next((w for w in _HEADER_WORDS if text.startswith(w, pos + lead)), None)
            if word is not None:
                cells.append(text[pos:pos + lead + len(word)])
                pos += lead + len(word)
                break
        else:
            return None
    return cells if len(cells) >= 3 else None


def _glued_rows(body: str, line: int, columns: Columns, header: list[str]) -> list[Record]:
    """Rows found by their numbers counting up from 1 between glued cells."""
    cuts: list[tuple[int, int, int]] = []  # (start of number, end of number, value)
    expected = 1
    for m in _NUMBER_AT_RE.finditer(body):
        value = int(m.group(1))
        if value != expected or body[m.end():m.end() + 1] in _QUANTITY_AFTER:
            continue
        cuts.append((m.start(), m.end(), value))
        expected += 1
    if not cuts or cuts[0][0] > 40:
        return []
    records = []
    unit_header = any(columns.roles.get(c) in UNIT_ROLES for c in range(len(header)))
    for n, (_start, stop, value) in enumerate(cuts):
        text = body[stop:cuts[n + 1][0] if n + 1 < len(cuts) else len(body)].strip()
        record = Record(number=str(value), text=text, line=line, confidence=0.6)
        record.doubtful.append("item")
        if unit_header:
            _glued_units(record, columns, header)
        records.append(record)
    return records


_RUN_START_RE = lazy(r"[。；;]")
_SEGMENT_END_RE = lazy(
    r"(?:局|委|办|公司|街道|中心|政府|园(?:\([^)]*\)|（[^）]*）)?|区|镇|部|院|所|队|会|社|站|馆)")
_BRACKET_NOTE_RE = lazy(r"[（(][^)）]*[)）]$")


def _glued_units(record: Record, columns: Columns, header: list[str]) -> None:
    """Units glued after a row's sentences: a leader's name, then the lead unit, then the others
    (何海平教育局经开区高新园(邹区镇)各街道). A row may hold several such runs, one per sub-row."""
    runs = _unit_runs(record.text)
    if not runs:
        return
    roles = [columns.roles.get(c) for c in range(len(header))]
    split_roles = SUPPORT in roles and any(r in UNIT_ROLES and r != SUPPORT for r in roles)
    kept: list[str] = []
    position = 0
    for start, stop, person, units in runs:
        kept.append(record.text[position:start])
        record.notes.append(record.text[start:stop])
        position = stop
        if person not in record.leaders:
            record.leaders.append(person)
        if split_roles:
            record.lead_units.append(units[0])
            record.support_units.extend(u for u in units[1:] if u not in record.support_units)
        else:
            record.units.extend(u for u in units if u not in record.units)
    kept.append(record.text[position:])
    record.text = "".join(kept).strip()
    record.doubtful.extend(["lead_units", "support_units", "units", "leaders"])


def _unit_runs(text: str) -> list[tuple[int, int, str, list[str]]]:
    runs = []
    for m in _RUN_START_RE.finditer(text):
        start = m.end()
        for size in (3, 2):
            person = text[start:start + size]
            first = _next_unit(text, start + size)
            if looks_like_people(person) and first is not None and len(first) >= 3:
                break
        else:
            continue
        units: list[str] = []
        stop = start + len(person)
        while (unit := _next_unit(text, stop)) is not None:
            units.append(unit)
            stop += len(unit)
        runs.append((start, stop, person, units))
    return runs


def _next_unit(text: str, start: int) -> str | None:
    """The shortest name at ``start`` that ends as an organisation's does, if it reads as one."""
    m = _SEGMENT_END_RE.search(text, start, start + 14)
    if m is None:
        return None
    end = m.end()
    if end < len(text) and text[end] in "局委办处厅":
        end += 1  # 人社 + 局: the end was inside the name
    name = text[start:end]
    return name if len(name) >= 2 and unit_like(_BRACKET_NOTE_RE.sub("", name)) else None
