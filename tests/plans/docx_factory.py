"""Build small Word and Excel plan files for the reader tests.

The Word file uses real automatic numbering (numbering.xml, not typed
numbers): 一、 / （一） / 1. in three levels, a restart through a second
w:num with a startOverride, Heading 1 paragraphs and a task-breakdown table
with a merged section row and a vertically merged lead-unit cell.

Run ``python -m tests.plans.docx_factory`` from the repository root to
rewrite the fixtures in tests/data/readers/.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import docx
import openpyxl
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "readers"

ABSTRACT_ID = "90"
NUM_MAIN = "90"
NUM_RESTART = "91"


def _el(tag: str, **attrs: str) -> OxmlElement:
    element = OxmlElement(tag)
    for key, value in attrs.items():
        element.set(qn(f"w:{key}"), value)
    return element


def _level(ilvl: int, fmt: str, text: str, suffix: str | None) -> OxmlElement:
    lvl = _el("w:lvl", ilvl=str(ilvl))
    lvl.append(_el("w:start", val="1"))
    lvl.append(_el("w:numFmt", val=fmt))
    if suffix:
        lvl.append(_el("w:suff", val=suffix))
    lvl.append(_el("w:lvlText", val=text))
    lvl.append(_el("w:lvlJc", val="left"))
    return lvl


def add_plan_numbering(document: docx.document.Document) -> None:
    """An outline list 一、 / （一） / 1. and a second list instance that restarts level 3."""
    numbering = document.part.numbering_part.element
    abstract = _el("w:abstractNum", abstractNumId=ABSTRACT_ID)
    abstract.append(_el("w:multiLevelType", val="multilevel"))
    abstract.append(_level(0, "chineseCounting", "%1、", "nothing"))
    abstract.append(_level(1, "chineseCounting", "（%2）", "nothing"))
    abstract.append(_level(2, "decimal", "%3.", None))  # default suffix: a tab
    # the schema wants every abstractNum before the first num
    first_num = numbering.find(qn("w:num"))
    if first_num is not None:
        first_num.addprevious(abstract)
    else:
        numbering.append(abstract)
    for num_id, restart in ((NUM_MAIN, False), (NUM_RESTART, True)):
        num = _el("w:num", numId=num_id)
        num.append(_el("w:abstractNumId", val=ABSTRACT_ID))
        if restart:
            override = _el("w:lvlOverride", ilvl="2")
            override.append(_el("w:startOverride", val="1"))
            num.append(override)
        numbering.append(num)


def numbered(document: docx.document.Document, text: str, ilvl: int, *, num_id: str = NUM_MAIN,
             style: str | None = None):
    """A paragraph that Word numbers itself; its text holds no number."""
    paragraph = document.add_paragraph(text, style=style)
    ppr = paragraph._p.get_or_add_pPr()
    num_pr = OxmlElement("w:numPr")
    num_pr.append(_el("w:ilvl", val=str(ilvl)))
    num_pr.append(_el("w:numId", val=num_id))
    ppr.append(num_pr)
    return paragraph


TASK_HEADER = ("序号", "工作任务", "牵头单位", "配合单位", "完成时限")


def build_plan_docx() -> bytes:
    """A 工作要点 with automatic numbering, headings and a task table (see the labels fixture)."""
    document = docx.Document()
    add_plan_numbering(document)
    document.add_paragraph("某区2024年教育督导工作要点", style="Title")
    document.add_paragraph("为推动全区教育高质量发展，结合工作实际，制定本要点。")
    document.add_paragraph("")  # an empty paragraph: skipped
    numbered(document, "总体要求", 0, style="Heading 1")
    numbered(document, "加强组织领导", 1)
    numbered(document, "健全督导工作机制，由区教育局牵头，2024年6月底前完成。", 2)
    numbered(document, "每季度召开一次督导工作例会。", 2)
    numbered(document, "压实工作责任", 1)
    numbered(document, "责任单位：区教育局、区财政局。年底前完成880册图书配备。", 2)
    numbered(document, "重点任务", 0, style="Heading 1")
    numbered(document, "推进学校标准化建设", 1)
    numbered(document, "完成3所学校改扩建工程（区住房和城乡建设局负责）。", 2)
    numbered(document, "开展教师全员培训", 1)
    document.add_paragraph("具体安排如下：")
    # a new list instance: level 3 restarts at 1 although no level-2 paragraph came before it
    numbered(document, "第三季度完成640人次培训。", 2, num_id=NUM_RESTART)
    numbered(document, "培训合格率达到95%以上。", 2, num_id=NUM_RESTART)
    numbered(document, "保障措施", 0, style="Heading 1")

    table = document.add_table(rows=7, cols=5)
    for col, name in enumerate(TASK_HEADER):
        table.cell(0, col).text = name
    section = table.cell(1, 0).merge(table.cell(1, 4))
    section.text = "（一）强化督查落实"
    rows = [
        ("1", "建立重点任务台账，实行销号管理", "区教育督导室", "区教育局各科室", "2024年3月31日"),
        ("2", "开展专项督导检查", "区教育督导室", "各中小学、各幼儿园", "每季度"),
        ("（二）", "加强宣传引导", "", "", ""),
        ("1", "编印督导工作简报", "区教育局办公室", "区融媒体中心", "2024年12月底"),
        ("2", "总结推广典型经验", "区教育局办公室", "", "长期坚持"),
    ]
    for r, values in enumerate(rows, start=2):
        for c, value in enumerate(values):
            table.cell(r, c).text = value
    # the same lead unit for both rows of section (二): a vertical merge
    merged = table.cell(5, 2).merge(table.cell(6, 2))
    merged.text = "区教育局办公室"

    document.add_paragraph("某区教育局")
    document.add_paragraph("2024年2月20日")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def build_task_xlsx() -> bytes:
    """A 任务分解表: merged title row, header, merged section rows and a vertically merged unit cell."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "任务分解"
    sheet.append(["2024年优化营商环境重点任务分解表"])
    sheet.merge_cells("A1:F1")
    sheet.append(["序号", "具体措施", "牵头单位", "配合单位", "完成时限", "责任人"])
    sheet.append(["一、提升政务服务效能"])
    sheet.merge_cells("A3:F3")
    sheet.append([1, "推行“一网通办”，实现高频事项全程网办", "区政务服务中心", "区大数据局、各街道",
                  "2024年6月底前", "张三"])
    sheet.append([2, "压减企业开办时间至1个工作日", None, "区市场监管局；区税务局", "2024年9月30日", None])
    sheet.merge_cells("C4:C5")
    sheet.append(["二、强化要素保障"])
    sheet.append([1, "开展“千企万人”用工服务", "区人社局", "区总工会/团区委", "长期坚持", "李四"])
    sheet.append([None, None, None, None, None, None])
    other = workbook.create_sheet("说明")
    other.append(["本表由区发改委汇总。"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def build_zip(entries: dict[str, bytes]) -> bytes:
    """A zip with the given entries, for archives that are not valid documents."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return out.getvalue()


def write_zip_bomb(path: Path, size: int = 300 * 1024 * 1024, name: str = "word/document.xml") -> Path:
    """A small zip holding ``size`` bytes of zeros, written in chunks so memory stays low."""
    chunk = b"\0" * (1024 * 1024)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open(name, "w", force_zip64=True) as entry:
            written = 0
            while written < size:
                part = chunk[: min(len(chunk), size - written)]
                entry.write(part)
                written += len(part)
    return path


def write_fixtures(directory: Path = DATA_DIR) -> None:
    """Write the generated .docx (next to its hand-written labels file) and .xlsx."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "auto-numbering-task-table.docx").write_bytes(build_plan_docx())
    (directory / "task-table.xlsx").write_bytes(build_task_xlsx())
    labels = directory / "auto-numbering-task-table.labels.json"
    if labels.exists():
        json.loads(labels.read_text(encoding="utf-8"))  # stays hand-written; only checked here


if __name__ == "__main__":
    write_fixtures()
