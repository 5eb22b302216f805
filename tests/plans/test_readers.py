"""Plan readers: encodings, Word automatic numbering, task tables and refused input."""

from __future__ import annotations

import codecs
import io
import json
import random
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.plans.corpus import SHARED, requires_shared
from tracker.plans import parse_document
from tracker.plans.errors import MESSAGES_ZH, PlanInputError
from tracker.plans.readers import Block, decode_text, format_number, read_document, split_units

from .docx_factory import (
    NUM_MAIN,
    add_plan_numbering,
    build_plan_docx,
    build_task_xlsx,
    build_zip,
    numbered,
    write_zip_bomb,
)

DATA = Path(__file__).resolve().parent.parent / "data"
READERS = DATA / "readers"

SAMPLE = (
    "某区2024年安全生产工作计划\n"
    "一、总体要求\n"
    "（一）坚持“安全第一、预防为主”，全年事故起数下降10%。\n"
    "1. 由区应急管理局牵头，6月底前完成隐患排查——“回头看”。\n"
    "二、保障措施：每季度通报一次；联系电话 0571-8888；①②③\n"
)


def _code(call) -> str:
    with pytest.raises(PlanInputError) as info:
        call()
    return info.value.code


# --- encodings ---------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        SAMPLE.encode("utf-8"),
        codecs.BOM_UTF8 + SAMPLE.encode("utf-8"),
        SAMPLE.encode("gb18030"),
        SAMPLE.replace("①②③", "").encode("gbk"),
        codecs.BOM_UTF16_LE + SAMPLE.encode("utf-16-le"),
        codecs.BOM_UTF16_BE + SAMPLE.encode("utf-16-be"),
        SAMPLE.encode("utf-16"),
        SAMPLE.encode("utf-16-le"),
        SAMPLE.encode("utf-16-be"),
        SAMPLE.replace("\n", "\r\n").encode("gb18030"),
        SAMPLE.replace("\n", "\r").encode("utf-8"),
    ],
    ids=["utf8", "utf8-bom", "gb18030", "gbk", "utf16le-bom", "utf16be-bom", "utf16", "utf16le", "utf16be",
         "gb18030-crlf", "utf8-cr"],
)
def test_same_text_in_every_supported_encoding(data):
    expected = SAMPLE if "①" in decode_text(data) else SAMPLE.replace("①②③", "")
    assert decode_text(data) == expected


def test_gbk_seed_plan_decodes_like_utf8():
    text = (DATA / "seed-work-plans.txt").read_text(encoding="utf-8")
    assert decode_text(text.encode("gbk", errors="ignore")) == decode_text(
        text.encode("gbk", errors="ignore").decode("gbk").encode("utf-8")
    )


TRADITIONAL = "各學校要認真落實安全工作責任制，加強校園安全管理，確保師生安全。" * 5


@pytest.mark.parametrize(
    "text",
    [TRADITIONAL, "學校安全工作計劃：各班級每週開展一次安全教育。" * 3, "一、總體要求\n（一）落實責任。\n",
     "3～5月完成‧各校經費￥20萬元、€5千元。" * 3],
    ids=["big5", "big5-short", "big5-outline", "cp950-symbols"],
)
def test_big5_traditional_chinese_decodes_as_written(text):
    assert decode_text(text.encode("cp950")) == text
    if "～" not in text:
        assert decode_text(text.encode("big5")) == text


def test_big5_plan_parses_into_its_outline():
    text = ("某市教育局2027年校園安全工作計劃\n\n一、總體要求\n（一）落實安全工作責任制，各校每學期簽訂責任書。\n"
            "（二）加強校園安全管理，年底前完成監控系統升級。\n二、重點任務\n（一）每月開展一次安全隱患排查。\n")
    outline = parse_document(text.encode("big5"), "計劃.txt")
    [plan] = outline.plans
    assert plan.title == "某市教育局2027年校園安全工作計劃"
    assert [(i.number, [c.number for c in i.children]) for i in plan.items] == [
        ("一", ["（一）", "（二）"]), ("二", ["（一）"])]
    assert plan.items[0].children[1].text == "加強校園安全管理，年底前完成監控系統升級。"


@pytest.mark.parametrize(
    "data",
    [
        "学校の安全管理について、毎週点検を行います。".encode("shift_jis") * 3,
        "Café déjà vu, été à la plage, garçon naïve".encode("latin-1"),
        bytes(range(0x80, 0x100)) * 4,
    ],
    ids=["shift-jis", "latin-1", "high-bytes"],
)
def test_unverifiable_encodings_are_refused(data):
    assert _code(lambda: decode_text(data)) in ("unknown_encoding", "binary")


def test_random_bytes_are_refused():
    rng = random.Random(7)
    for _ in range(20):
        data = bytes(rng.randrange(256) for _ in range(2000))
        assert _code(lambda data=data: read_document(data, "plan.txt")) in ("unknown_encoding", "binary")


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n" + bytes(100),
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj",
        b"GIF89a" + bytes(20),
        b"\xff\xd8\xff\xe0\x00\x10JFIF",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(50),
        b"plain text\x00with\x00nul\x00\x00\x00bytes\x01\x02",
    ],
    ids=["png", "pdf", "gif", "jpeg", "ole", "nul-bytes"],
)
def test_binary_renamed_txt_is_refused(data):
    assert _code(lambda: read_document(data, "计划.txt")) == "binary"


def test_docx_renamed_txt_is_binary():
    assert _code(lambda: read_document(build_plan_docx(), "plan.txt")) == "binary"


@pytest.mark.parametrize("data", [b"", b"   \r\n\t ", codecs.BOM_UTF8, "　 \n".encode(), codecs.BOM_UTF16_LE])
def test_empty(data):
    assert _code(lambda: read_document(data, "plan.txt")) == "empty"


def test_too_large_is_checked_before_reading():
    error = pytest.raises(PlanInputError, read_document, b"x" * 2048, "plan.txt", max_bytes=1024)
    assert error.value.code == "too_large"
    assert error.value.params == {"limit_mb": "0.0"} or "limit_mb" in error.value.params
    error = pytest.raises(PlanInputError, read_document, b"x" * 2048, "plan.docx", max_bytes=1024)
    assert error.value.code == "too_large"
    assert str(pytest.raises(PlanInputError, read_document, b"x" * 10, "a.txt", max_bytes=1).value)


def test_default_limit_message_names_twenty_mb():
    big = 20 * 1024 * 1024 + 1
    # a bytes-like object of that length without allocating it
    error = pytest.raises(PlanInputError, read_document, _FakeBig(big), "a.txt")
    assert error.value.code == "too_large"
    assert error.value.params["limit_mb"] == "20"
    assert "20 MB" in str(error.value)


class _FakeBig(bytes):
    """Reports a huge length; the reader must refuse it before touching the content."""

    def __new__(cls, size: int):
        obj = super().__new__(cls, b"x")
        obj._size = size
        return obj

    def __len__(self) -> int:
        return self._size


@pytest.mark.parametrize("name", ["plan.pdf", "plan.doc", "plan.xls", "plan", "plan.exe", "plan.docx.zip"])
def test_unsupported_type(name):
    error = pytest.raises(PlanInputError, read_document, b"text", name).value
    assert error.code == "unsupported_type"
    assert "ext" in error.params


@pytest.mark.parametrize("name", ["PLAN.TXT", "计划.text", "路径/计划.Txt", "C:\\docs\\计划.txt"])
def test_extension_is_case_insensitive_and_path_free(name):
    assert read_document("一、目标".encode(), name)[0].text == "一、目标"


def test_normalisation():
    raw = "一、\u3000总体要求\u00a0\r\n\x07（一）\u200b加强领导\t。\r\r二、目标\ufeff"
    assert decode_text(raw.encode("utf-8")) == "一、 总体要求 \n（一）加强领导\t。\n\n二、目标"


def test_text_blocks_keep_line_numbers():
    blocks = read_document("一、目标\n\n  1、内容  \n".encode(), "a.txt")
    assert [b.text for b in blocks] == ["一、目标", "", "1、内容", ""]
    assert all(b.heading_level is None and b.row is None for b in blocks)


def test_seed_text_reads_as_lines():
    data = (DATA / "seed-work-plans.txt").read_bytes()
    blocks = read_document(data, "seed-work-plans.txt")
    assert len(blocks) == data.decode("utf-8").count("\n") + 1
    assert any(b.text.startswith("10、 坚持每日检查") for b in blocks)


# --- Markdown ------------------------------------------------------------------


def test_markdown_headings_emphasis_and_bullets():
    text = "# 2024年工作要点\n\n## 一、**总体要求**\n- （一）加强领导\n* 1. 健全机制 ##\n正文**强调**文字"
    blocks = read_document(text.encode(), "plan.md")
    assert [(b.text, b.heading_level) for b in blocks] == [
        ("2024年工作要点", 1),
        ("", None),
        ("一、总体要求", 2),
        ("（一）加强领导", None),
        ("1. 健全机制 ##", None),
        ("正文强调文字", None),
    ]


def test_markdown_task_table():
    text = (
        "一、重点任务\n| 序号 | 工作任务 | 责任单位 | 完成时限 |\n|---|---|---|---|\n"
        "| 1 | 开展排查 | 区应急局、区公安分局 | 6月底前 |\n"
    )
    blocks = read_document(text.encode(), "plan.md")
    rows = [b.row for b in blocks if b.row]
    assert [{k: v for k, v in row.items() if v and k != "table_end"} for row in rows] == [
        {"number": "1", "text": "开展排查", "units": ["区应急局", "区公安分局"], "deadline_text": "6月底前"}
    ]


# --- Word: the corpus notice -----------------------------------------------------


def _label_items(labels: dict):
    def walk(items):
        for item in items:
            yield item
            yield from walk(item["children"])

    for plan in labels["plans"]:
        yield from walk(plan["items"])


@pytest.mark.parametrize("folder, name", [
    pytest.param(SHARED, "docx-auto-numbering-notice", marks=requires_shared),
    (DATA, "readers/auto-numbering-task-table"),
])
def test_docx_markers_match_labels_in_order(folder, name):
    labels = json.loads((folder / f"{name}.labels.json").read_text(encoding="utf-8"))
    blocks = read_document((folder / f"{name}.docx").read_bytes(), f"{name}.docx")
    position = 0
    for item in _label_items(labels):
        marker, start = item["marker"], item["text_start"]
        for index in range(position, len(blocks)):
            block = blocks[index]
            if block.row is not None:
                found = block.row["number"] == marker and block.text.startswith(start)
            else:
                found = block.text.startswith(marker) and start in block.text[len(marker):][: len(start) + 2]
            if found:
                position = index + 1
                break
        else:
            raise AssertionError(f"{marker} {start} not found after block {position}")


@requires_shared
def test_notice_automatic_numbers_restart_per_list():
    blocks = read_document((SHARED / "docx-auto-numbering-notice.docx").read_bytes(), "notice.docx")
    texts = [b.text for b in blocks]
    assert "(1) 设计制定针对各文档的《检查单》；" in texts
    assert "(4) 针对发现的问题" in " ".join(texts)
    assert texts.index("(1) 对照《评审检查单》，对被评审组提交的（经过自评审修改后的）软件文档进行评审，并使"
                       "用《问题清单》报告发现的问题；") > texts.index("2、互评")
    # the typed numbers stay as typed, the sentence that starts with a digit is untouched
    assert "1、自评" in texts
    assert any(t.startswith("1组评审2、3组") for t in texts)
    assert "" not in texts


# --- Word: a generated plan ---------------------------------------------------------


def test_generated_docx_numbering_headings_and_rows():
    blocks = read_document(build_plan_docx(), "plan.docx")
    texts = [b.text for b in blocks]
    assert texts[:4] == ["某区2024年教育督导工作要点", "为推动全区教育高质量发展，结合工作实际，制定本要点。",
                         "一、总体要求", "（一）加强组织领导"]
    assert texts[4].startswith("1. 健全督导")  # %1. has Word's default tab after it
    headings = [(b.text, b.heading_level) for b in blocks if b.heading_level]
    assert headings == [("一、总体要求", 1), ("二、重点任务", 1), ("三、保障措施", 1)]
    # level 3 restarts under each level 2, and in the overridden list instance
    assert "（二）压实工作责任" in texts
    assert texts[texts.index("（二）压实工作责任") + 1].startswith("1. 责任单位")
    index = texts.index("具体安排如下：")
    assert texts[index + 1].startswith("1. 第三季度") and texts[index + 2].startswith("2. 培训合格率")

    rows = [b for b in blocks if b.row]
    assert [r.row["number"] for r in rows] == ["1", "2", "（二）", "1", "2"]
    assert "（一）强化督查落实" in texts and blocks[texts.index("（一）强化督查落实")].row is None
    first = {k: v for k, v in rows[0].row.items() if k not in ("leaders", "period_text", "body")}
    assert first == {
        "number": "1", "text": "建立重点任务台账，实行销号管理", "lead_units": ["区教育督导室"], "units": [],
        "support_units": ["区教育局各科室"], "owners": [], "deadline_text": "2024年3月31日",
    }
    assert rows[1].row["support_units"] == ["各中小学", "各幼儿园"]
    assert rows[4].row["lead_units"] == ["区教育局办公室"]  # vertical merge repeats the unit
    assert rows[4].row["deadline_text"] == "长期坚持"
    assert texts[-2:] == ["某区教育局", "2024年2月20日"]


def _docx(build) -> bytes:
    document = docx.Document()
    build(document)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_numbering_via_style_and_chinese_heading_names():
    def build(document):
        add_plan_numbering(document)
        style = document.styles["Heading 2"]
        ppr = style.element.get_or_add_pPr()
        from docx.oxml import OxmlElement
        from docx.oxml.ns import qn

        num_pr = OxmlElement("w:numPr")
        ilvl = OxmlElement("w:ilvl")
        ilvl.set(qn("w:val"), "1")
        num_id = OxmlElement("w:numId")
        num_id.set(qn("w:val"), NUM_MAIN)
        num_pr.append(ilvl)
        num_pr.append(num_id)
        ppr.append(num_pr)
        numbered(document, "主要目标", 0, style="Heading 1")
        document.add_paragraph("加强领导", style="Heading 2")
        document.add_paragraph("强化保障", style="Heading 2")

    blocks = read_document(_docx(build), "a.docx")
    assert [(b.text, b.heading_level) for b in blocks] == [
        ("一、主要目标", 1), ("（一）加强领导", 2), ("（二）强化保障", 2)]


def test_chinese_heading_style_names_and_hidden_text():
    from docx.enum.style import WD_STYLE_TYPE

    def build(document):
        document.styles.add_style("标题 2", WD_STYLE_TYPE.PARAGRAPH)
        document.add_paragraph("一、总体要求", style="标题 2")
        paragraph = document.add_paragraph("（一）加强领导")
        paragraph.add_run("（内部备注）").font.hidden = True
        document.add_paragraph("目录项\t3", style=document.styles.add_style("toc 1", WD_STYLE_TYPE.PARAGRAPH))

    blocks = read_document(_docx(build), "a.docx")
    assert [(b.text, b.heading_level) for b in blocks] == [("一、总体要求", 2), ("（一）加强领导", None)]


def test_numbered_paragraph_removed_with_num_id_zero_and_bullets_have_no_number():
    def build(document):
        add_plan_numbering(document)
        numbered(document, "总体要求", 0)
        numbered(document, "不编号", 0, num_id="0")
        document.add_paragraph("要点一", style="List Bullet")
        numbered(document, "工作目标", 0)

    texts = [b.text for b in read_document(_docx(build), "a.docx")]
    assert texts == ["一、总体要求", "不编号", "要点一", "二、工作目标"]


@pytest.mark.parametrize(
    ("n", "fmt", "expected"),
    [
        (1, "decimal", "1"), (12, "decimalZero", "12"), (3, "decimalZero", "03"),
        (1, "chineseCounting", "一"), (10, "chineseCounting", "十"), (11, "chineseCounting", "十一"),
        (20, "chineseCounting", "二十"), (23, "chineseCountingThousand", "二十三"),
        (101, "chineseCountingThousand", "一百〇一"), (110, "chineseCountingThousand", "一百一十"),
        (5, "japaneseCounting", "五"), (3, "ideographTraditional", "丙"), (2, "chineseLegalSimplified", "贰"),
        (1, "decimalEnclosedCircle", "①"), (20, "decimalEnclosedCircleChinese", "⑳"),
        (21, "decimalEnclosedCircle", "21"), (2, "decimalEnclosedParen", "⑵"),
        (1, "upperLetter", "A"), (27, "lowerLetter", "aa"), (4, "upperRoman", "IV"),
        (9, "lowerRoman", "ix"), (12, "decimalFullWidth", "１２"), (7, "bullet", ""), (7, "none", ""),
        (7, "someFutureFormat", "7"),
    ],
)
def test_number_formats(n, fmt, expected):
    assert format_number(n, fmt) == expected


def test_multilevel_text_and_legal_numbering():
    def build(document):
        numbering = document.part.numbering_part.element
        from docx.oxml import parse_xml

        ns = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
        abstract = parse_xml(
            f'<w:abstractNum {ns} w:abstractNumId="77">'
            '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/>'
            '<w:lvlText w:val="第%1条"/><w:suff w:val="space"/></w:lvl>'
            '<w:lvl w:ilvl="1"><w:start w:val="1"/><w:isLgl/><w:numFmt w:val="decimal"/>'
            '<w:lvlText w:val="%1.%2"/><w:suff w:val="nothing"/></w:lvl>'
            '<w:lvl w:ilvl="2"><w:start w:val="3"/><w:numFmt w:val="decimalEnclosedCircle"/>'
            '<w:lvlText w:val="%3"/><w:suff w:val="nothing"/></w:lvl>'
            "</w:abstractNum>"
        )
        numbering.insert(0, abstract)
        numbering.append(parse_xml(f'<w:num {ns} w:numId="77"><w:abstractNumId w:val="77"/></w:num>'))
        numbered(document, "总则", 0, num_id="77")
        numbered(document, "目的", 1, num_id="77")
        numbered(document, "甲", 2, num_id="77")
        numbered(document, "乙", 2, num_id="77")
        numbered(document, "范围", 1, num_id="77")
        numbered(document, "职责", 0, num_id="77")
        numbered(document, "分工", 1, num_id="77")

    data = _docx(build)
    texts = [b.text for b in read_document(data, "a.docx")]
    assert texts == ["第一条 总则", "1.1目的", "③甲", "④乙", "1.2范围", "第二条 职责", "2.1分工"]
    # and the parser nests Word's legal numbers 1.1 / 2.1 under their articles
    [plan] = parse_document(data, "a.docx").plans

    def rows(items):
        return [row for item in items for row in [(item.level, item.number)] + rows(item.children)]

    assert rows(plan.items) == [(1, "第一条"), (2, "1.1"), (3, "③"), (3, "④"), (2, "1.2"), (1, "第二条"),
                                (2, "2.1")]


def test_lists_sharing_a_definition_continue_and_empty_numbered_paragraphs_count():
    def build(document):
        add_plan_numbering(document)
        from docx.oxml import parse_xml

        ns = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
        document.part.numbering_part.element.append(
            parse_xml(f'<w:num {ns} w:numId="92"><w:abstractNumId w:val="90"/></w:num>'))
        numbered(document, "甲", 0)
        numbered(document, "", 0)  # an empty numbered paragraph still takes 二
        numbered(document, "丙", 0, num_id="92")

    texts = [b.text for b in read_document(_docx(build), "a.docx")]
    assert texts == ["一、甲", "三、丙"]


def test_plain_table_reads_as_text_and_merged_cells_once():
    def build(document):
        document.add_paragraph("附件")
        table = document.add_table(rows=2, cols=3)
        table.cell(0, 0).merge(table.cell(0, 2)).text = "联系人及电话"
        table.cell(1, 0).text = "张三"
        table.cell(1, 1).text = "办公室\n综合科"
        table.cell(1, 2).text = "12345"
        document.add_paragraph("以上")

    texts = [b.text for b in read_document(_docx(build), "a.docx")]
    assert texts == ["附件", "联系人及电话", "张三", "办公室", "综合科", "12345", "以上"]


def test_table_with_two_header_rows_and_section_column():
    def build(document):
        table = document.add_table(rows=5, cols=5)
        values = [
            ["序号", "重点任务", "具体措施", "责任单位", "责任单位"],
            ["", "", "", "牵头单位", "配合单位"],
            ["1", "优化营商环境", "压缩审批时限", "区行政审批局", "区发改委、区司法局"],
            ["2", "优化营商环境", "推行告知承诺制", "区行政审批局", ""],
            ["3", "扩大有效投资", "谋划储备项目", "区发改委（牵头）、区财政局", "各镇街"],
        ]
        for r, row in enumerate(values):
            for c, value in enumerate(row):
                table.cell(r, c).text = value
        table.cell(0, 3).merge(table.cell(0, 4)).text = "责任单位"
        table.cell(2, 1).merge(table.cell(3, 1)).text = "优化营商环境"

    blocks = read_document(_docx(build), "a.docx")
    assert [(b.text, b.row and b.row["number"]) for b in blocks] == [
        ("优化营商环境", None), ("压缩审批时限", "1"), ("推行告知承诺制", "2"),
        ("扩大有效投资", None), ("谋划储备项目", "3"),
    ]
    rows = [b.row for b in blocks if b.row]
    assert rows[0]["lead_units"] == ["区行政审批局"]
    assert rows[0]["support_units"] == ["区发改委", "区司法局"]
    assert rows[2]["lead_units"] == ["区发改委", "区财政局"] or rows[2]["lead_units"][0] == "区发改委"


def test_table_auto_numbered_serial_cells():
    def build(document):
        add_plan_numbering(document)
        table = document.add_table(rows=3, cols=3)
        for c, name in enumerate(["序号", "工作任务", "责任单位"]):
            table.cell(0, c).text = name
        for r, (task, unit) in enumerate([("开展培训", "区人社局"), ("组织检查", "区应急局")], start=1):
            cell = table.cell(r, 0)
            paragraph = cell.paragraphs[0]
            from docx.oxml import OxmlElement
            from docx.oxml.ns import qn

            num_pr = OxmlElement("w:numPr")
            for tag, value in (("w:ilvl", "2"), ("w:numId", NUM_MAIN)):
                element = OxmlElement(tag)
                element.set(qn("w:val"), value)
                num_pr.append(element)
            paragraph._p.get_or_add_pPr().append(num_pr)
            table.cell(r, 1).text = task
            table.cell(r, 2).text = unit

    rows = [b.row for b in read_document(_docx(build), "a.docx") if b.row]
    assert [r["number"] for r in rows] == ["1.", "2."]
    assert rows[1]["units"] == ["区应急局"]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("区教育局、区财政局", [("区教育局", None), ("区财政局", None)]),
        ("区教育局，区财政局；区卫健委/区民政局\n各街道", [
            ("区教育局", None), ("区财政局", None), ("区卫健委", None), ("区民政局", None),
            ("各街道", None)]),
        ("区发改委（牵头）、区财政局", [("区发改委", "lead_units"), ("区财政局", None)]),
        ("牵头单位：区教育局；配合单位：区财政局",
         [("区教育局", "lead_units"), ("区财政局", "support_units")]),
        ("各县区等", [("各县区", None)]),
        ("", []),
        ("无", []),
    ],
)
def test_split_units(cell, expected):
    assert split_units(cell) == expected


# --- Excel ---------------------------------------------------------------------------


def test_xlsx_task_table():
    blocks = read_document(build_task_xlsx(), "分解表.xlsx")
    assert [b.text for b in blocks] == [
        "2024年优化营商环境重点任务分解表",
        "一、提升政务服务效能",
        "推行“一网通办”，实现高频事项全程网办",
        "压减企业开办时间至1个工作日",
        "二、强化要素保障",
        "开展“千企万人”用工服务",
    ]
    rows = [b.row for b in blocks if b.row]
    assert {k: v for k, v in rows[0].items() if k not in ("leaders", "period_text", "body")} == {
        "number": "1", "text": "推行“一网通办”，实现高频事项全程网办", "lead_units": ["区政务服务中心"],
        "units": [], "support_units": ["区大数据局", "各街道"], "owners": ["张三"],
        "deadline_text": "2024年6月底前",
    }
    assert rows[1]["lead_units"] == ["区政务服务中心"]  # merged C4:C5
    assert rows[1]["support_units"] == ["区市场监管局", "区税务局"]
    assert rows[1]["deadline_text"] == "2024年9月30日"
    assert rows[2]["support_units"] == ["区总工会", "团区委"]


def test_xlsx_fixture_matches_factory():
    blocks = read_document((READERS / "task-table.xlsx").read_bytes(), "task-table.xlsx")
    assert blocks == read_document(build_task_xlsx(), "x.xlsx")


def test_xlsx_dates_numbers_and_header_below_titles():
    import datetime

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["附件1"])
    sheet.append([])
    sheet.append(["某市2025年重点工作"])
    sheet.append(["编 号", "工作内容", "责任部门", "完成时间"])
    sheet.append([1.0, "修订管理办法", "市司法局", datetime.datetime(2025, 6, 30)])
    sheet.append([2, "建设数据平台", "市大数据局", datetime.date(2025, 12, 31)])
    sheet.append(["编 号", "工作内容", "责任部门", "完成时间"])  # repeated header
    out = io.BytesIO()
    workbook.save(out)
    blocks = read_document(out.getvalue(), "a.xlsx")
    assert [b.text for b in blocks] == ["附件1", "某市2025年重点工作", "修订管理办法", "建设数据平台"]
    rows = [b.row for b in blocks if b.row]
    assert rows[0]["number"] == "1" and rows[0]["deadline_text"] == "2025年6月30日"
    assert rows[1]["units"] == ["市大数据局"] and rows[1]["deadline_text"] == "2025年12月31日"


def test_xlsx_without_task_header_is_no_table():
    workbook = openpyxl.Workbook()
    workbook.active.append(["姓名", "电话"])
    workbook.active.append(["张三", "123"])
    out = io.BytesIO()
    workbook.save(out)
    assert _code(lambda: read_document(out.getvalue(), "a.xlsx")) == "no_table"


def test_content_wins_over_a_swapped_extension():
    blocks = read_document(build_task_xlsx(), "分解表.docx")
    assert any(b.row for b in blocks)


# --- bad Word / Excel files -------------------------------------------------------------


def _unsupported_zip_version() -> bytes:
    data = bytearray(build_zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<x/>"}))
    central = data.find(b"PK\x01\x02")
    data[central + 6: central + 8] = (64).to_bytes(2, "little")  # "needs zip 6.4 to extract"
    return bytes(data)


@pytest.mark.parametrize(
    ("data", "name", "code"),
    [
        (_unsupported_zip_version(), "a.docx", "corrupt_docx"),
        (build_plan_docx()[:3000], "a.docx", "corrupt_docx"),
        (build_plan_docx()[:-100], "a.docx", "corrupt_docx"),
        (bytes(random.Random(1).randrange(256) for _ in range(5000)), "a.docx", "corrupt_docx"),
        (b"PK\x03\x04" + bytes(random.Random(2).randrange(256) for _ in range(5000)), "a.docx",
         "corrupt_docx"),
        (build_zip({"hello.txt": b"hi"}), "a.docx", "corrupt_docx"),
        (build_zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document"}), "a.docx",
         "corrupt_docx"),
        (build_zip({"[Content_Types].xml": b"not xml", "word/document.xml": b"<x/>"}), "a.docx",
         "corrupt_docx"),
        ("一、目标".encode(), "a.docx", "corrupt_docx"),
        (build_task_xlsx()[:2000], "a.xlsx", "corrupt_xlsx"),
        (build_zip({"xl/workbook.xml": b"<broken"}), "a.xlsx", "corrupt_xlsx"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "a.docx", "legacy_office"),
    ],
    ids=["zip-version", "truncated", "truncated-end", "random", "random-pk", "zip-no-document", "broken-xml",
         "broken-content-types", "text", "xlsx-truncated", "xlsx-broken", "ole"],
)
def test_corrupt_files(data, name, code):
    assert _code(lambda: read_document(data, name)) == code


def test_empty_docx_is_empty():
    assert _code(lambda: read_document(_docx(lambda d: d.add_paragraph("")), "a.docx")) == "empty"


def test_zip_bomb_docx(tmp_path):
    path = write_zip_bomb(tmp_path / "bomb.docx")
    data = path.read_bytes()
    assert len(data) < 2 * 1024 * 1024
    assert _code(lambda: read_document(data, "bomb.docx")) == "zip_bomb"


def test_zip_bomb_by_ratio_and_by_entry_count(tmp_path):
    path = write_zip_bomb(tmp_path / "ratio.xlsx", size=20 * 1024 * 1024, name="xl/workbook.xml")
    assert _code(lambda: read_document(path.read_bytes(), "ratio.xlsx")) == "zip_bomb"
    many = build_zip({f"word/media/{i}.bin": b"" for i in range(5001)})
    assert _code(lambda: read_document(many, "many.docx")) == "zip_bomb"


def test_errors_have_chinese_messages():
    for code in ("empty", "binary", "unknown_encoding", "corrupt_docx", "corrupt_xlsx", "zip_bomb",
                 "unsupported_type", "no_table", "legacy_office"):
        assert code in MESSAGES_ZH
    assert str(PlanInputError("legacy_office", ext=".docx")).startswith("这是旧版")


def test_block_defaults():
    assert Block("x") == Block(text="x", heading_level=None, row=None)


def test_zip_helper_writes_valid_archives():
    assert zipfile.ZipFile(io.BytesIO(build_zip({"a": b"b"}))).read("a") == b"b"


# --- nothing but PlanInputError, whatever the bytes -----------------------------------------

_FIXTURE_DOCX = (READERS / "auto-numbering-task-table.docx").read_bytes()
_FIXTURE_XLSX = (READERS / "task-table.xlsx").read_bytes()


def _read_or_refuse(data: bytes, name: str) -> None:
    try:
        blocks = read_document(data, name)
    except PlanInputError as error:
        assert error.code in MESSAGES_ZH
    else:
        assert all(isinstance(block, Block) and isinstance(block.text, str) for block in blocks)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4000), st.sampled_from(["a.txt", "a.md", "a.docx", "a.xlsx"]))
def test_any_bytes_are_read_or_refused(data, name):
    _read_or_refuse(data, name)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, len(_FIXTURE_DOCX) - 1), st.integers(0, 255)), min_size=1, max_size=8),
    st.booleans(),
)
def test_damaged_documents_are_read_or_refused(edits, excel):
    data = bytearray(_FIXTURE_XLSX if excel else _FIXTURE_DOCX)
    for offset, value in edits:
        data[offset % len(data)] = value
    _read_or_refuse(bytes(data), "a.xlsx" if excel else "a.docx")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300), st.sampled_from(["utf-8", "utf-16", "gb18030"]))
def test_any_text_round_trips_or_is_refused(text, encoding):
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        return
    try:
        decoded = decode_text(data)
    except PlanInputError as error:
        assert error.code in ("empty", "binary", "unknown_encoding")
    else:
        assert "\r" not in decoded and "\x00" not in decoded
