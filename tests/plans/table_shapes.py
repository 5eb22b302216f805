"""A task table and every shape it arrives in: for the property tests and the fixed table documents.

A :class:`Table` is rendered as text pasted from Word or Excel (tabs), a pipe table, a Markdown
table, a web table flattened one cell per line (with or without blank lines between cells, a
long cell wrapped over lines, one unit per line), cells glued together, a .docx or a .xlsx file.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import docx
import openpyxl

# the header's words per role: the open vocabulary a 督办 office writes
HEADER_WORDS = {
    "number": ["序号", "编号"],
    "text": ["重点任务", "工作任务", "工作内容", "具体措施", "民生实事", "主要任务", "任务内容", "目标任务"],
    "lead_units": ["牵头单位", "牵头部门", "主责单位"],
    "support_units": ["配合单位", "配合部门", "协办单位"],
    "units": ["责任单位", "责任部门", "承办单位"],
    "leaders": ["责任领导", "分管领导", "牵头领导"],
    "deadline_text": ["完成时限", "完成时间", "时间节点"],
}

TASKS = [
    "推进城镇老旧小区改造，完成改造小区12个。",
    "新建改扩建公办幼儿园3所，新增学位900个",
    "实施农村公路提档升级工程",
    "开展食品安全专项整治行动，抽检食品3000批次以上。",
    "建成县级养老服务指导中心",
    "完善城乡居民医保政策，提高门诊报销比例",
    "推进政务服务“一网通办”，实现高频事项全程网办。",
    "新增城镇就业2800人",
    "实施河道综合治理，整治黑臭水体5条",
    "开展困难群众救助帮扶",
    "完成中小学校舍安全改造工程",
    "优化营商环境，压缩企业开办时间至1个工作日",
]
LONG_TASK = ("围绕群众急难愁盼问题，统筹推进城乡供水一体化建设，完成主管网改造42公里，新建加压泵站2座，"
             "实现城乡供水同网同质同价，确保全县农村自来水普及率达到99%以上")
UNITS = ["县住建局", "县教育局", "县财政局", "县交通运输局", "县市场监管局", "县民政局", "县医保局",
         "县政务服务中心", "县人社局", "县水利局", "县自然资源局", "县发改委", "各乡镇（街道）", "县卫健委"]
LEADERS = ["王建国", "李红梅", "张伟", "陈晓东", "刘志强"]
DEADLINES = ["6月底前", "2026年12月31日", "9月底前", "年底前", "长期坚持", "2026年10月", "11月底前完成"]
SECTIONS = ["一、保障和改善民生", "二、推进城乡建设", "三、优化营商环境", "四、加强社会治理"]


@dataclass
class Row:
    number: str
    text: str
    cells: dict[str, list[str]] = field(default_factory=dict)  # role → names / values
    section: str | None = None  # a section row standing before this row


@dataclass
class Table:
    columns: list[str]  # roles, in order; "number" first
    headers: list[str] | None  # header words, or None for a table without a header
    rows: list[Row]

    def cell(self, row: Row, role: str, joiner: str = "、") -> str:
        if role == "number":
            return row.number
        if role == "text":
            return row.text
        return joiner.join(row.cells.get(role, []))


def _header(table: Table) -> list[str]:
    return table.headers or []


def render_tabs(table: Table) -> str:
    lines = ["\t".join(_header(table))] if table.headers else []
    for row in table.rows:
        if row.section:
            lines.append(row.section + "\t" * (len(table.columns) - 1))
        lines.append("\t".join(table.cell(row, role) for role in table.columns))
    return "\n".join(lines) + "\n"


def render_excel_copy(table: Table) -> str:
    """Excel's copy: tabs between cells, a cell holding line breaks in double quotes."""
    def quote(value: str) -> str:
        return f'"{value}"' if "\n" in value else value

    lines = ["\t".join(_header(table))] if table.headers else []
    for row in table.rows:
        if row.section:
            lines.append(row.section + "\t" * (len(table.columns) - 1))
        lines.append("\t".join(quote(table.cell(row, role, "\n")) for role in table.columns))
    return "\n".join(lines) + "\n"


def render_pipes(table: Table, markdown: bool = False) -> str:
    lines = []
    if table.headers:
        lines.append("| " + " | ".join(_header(table)) + " |")
        if markdown:
            lines.append("|" + "|".join("---" for _ in table.columns) + "|")
    for row in table.rows:
        if row.section:
            lines.append("| " + row.section + " |" + " |" * (len(table.columns) - 1))
        lines.append("| " + " | ".join(table.cell(row, role) for role in table.columns) + " |")
    return "\n".join(lines) + "\n"


def render_one_cell_per_line(table: Table, blank: bool = False, wrap: int = 0) -> str:
    """A web table flattened by a browser: every cell its own line, units one per line, long
    cells wrapped at ``wrap`` characters."""
    out: list[str] = []
    sep = "\n\n" if blank else "\n"
    out.extend(_header(table))
    for row in table.rows:
        if row.section:
            out.append(row.section)
        for role in table.columns:
            if role in ("lead_units", "support_units", "units", "leaders"):
                out.extend(row.cells.get(role, []))
                continue
            value = table.cell(row, role)
            if not value:
                continue  # a missing cell: nothing of it on the page
            if wrap and role == "text" and len(value) > wrap:
                out.extend(value[i:i + wrap] for i in range(0, len(value), wrap))
            else:
                out.append(value)
    return "表格：示范县2026年民生实事任务分解表" + sep + sep.join(out) + "\n"


def render_glued(table: Table) -> str:
    out = "".join(_header(table))
    for row in table.rows:
        out += "".join(table.cell(row, role, "") for role in table.columns)
    return "2026年示范县重点工作任务分解表" + out + "\n"


def render_docx(table: Table) -> bytes:
    document = docx.Document()
    document.add_paragraph("示范县2026年重点工作任务分解表")
    rows = ([_header(table)] if table.headers else [])
    for row in table.rows:
        if row.section:
            rows.append([row.section] + [""] * (len(table.columns) - 1))
        rows.append([table.cell(row, role, "\n") for role in table.columns])
    grid = document.add_table(rows=len(rows), cols=len(table.columns))
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            grid.cell(r, c).text = value
        if values[1:] == [""] * (len(values) - 1) and values[0].startswith(("一", "二", "三", "四")):
            grid.cell(r, 0).merge(grid.cell(r, len(values) - 1)).text = values[0]
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def render_xlsx(table: Table) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["示范县2026年重点工作任务分解表"])
    if table.headers:
        sheet.append(_header(table))
    for row in table.rows:
        if row.section:
            sheet.append([row.section])
            sheet.merge_cells(start_row=sheet.max_row, start_column=1, end_row=sheet.max_row,
                              end_column=len(table.columns))
        values: list[object] = [table.cell(row, role, "\n") for role in table.columns]
        if values[0].isdigit():
            values[0] = int(values[0])  # a 序号 typed as a number
        sheet.append(values)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


TEXT_SHAPES = {
    "tabs": render_tabs,
    "excel_copy": render_excel_copy,
    "pipes": render_pipes,
    "markdown": lambda table: render_pipes(table, markdown=True),
    "one_cell_per_line": render_one_cell_per_line,
    "one_cell_per_line_blank": lambda table: render_one_cell_per_line(table, blank=True),
    "one_cell_per_line_wrapped": lambda table: render_one_cell_per_line(table, wrap=18),
    "glued": render_glued,
}
FILE_SHAPES = {"docx": render_docx, "xlsx": render_xlsx}


def read_back(outline: dict) -> list[dict]:
    """The table rows a parsed outline holds, in order, with the suggestions they carry."""
    rows: list[dict] = []

    def walk(items: list[dict]) -> None:
        for item in items:
            if item["number"].isdigit():
                rows.append(item)
            walk(item.get("children", []))

    for plan in outline["plans"]:
        walk(plan["items"])
    return rows
