"""Conformance check of a generated document against GB/T 9704-2012, rule by rule.

The PDF is measured with pdfplumber (positions in mm from the page's top-left corner: the 版头
mark, the 发文字号, the red rule, the title, the text block, the page numbers, the 落款, the
table headers, the embedded fonts); the .docx is read with python-docx (section, grid, styles,
footers, table settings). The expected numbers are those of ``tracker.documents``.
``flask documents check FILE`` prints each rule with pass or fail.
"""

from __future__ import annotations

import io
import re
import statistics
import zipfile
from dataclasses import dataclass
from pathlib import Path

import click
from flask.cli import AppGroup

from tracker import documents as d

MM = d.MM_PT
P_MM = d.LINE_PITCH_PT / MM
DATE_RE = re.compile(r"\d{4}年[1-9]\d?月[1-9]\d?日")


@dataclass
class Rule:
    name: str
    passed: bool
    detail: str

    def line(self) -> str:
        return f"{'PASS' if self.passed else 'FAIL'}  {self.name}: {self.detail}"


def _near(value: float, expected: float, tolerance: float) -> bool:
    return abs(value - expected) <= tolerance


def _placed(name: str, top: float, expected: float, centre: float, more: str = "") -> Rule:
    """A block whose top stands at ``expected`` (within 1 mm), centred on the 版心 (within 2 mm)."""
    return Rule(name, _near(top, expected, 1.0) and _near(centre, d.LEFT_MM + d.BODY_WIDTH_MM / 2, 2.0),
                f"top {top:.1f} mm (expected {expected:.1f}), centre {centre:.1f} mm{more}")


def _is_red(color) -> bool:
    if not color or len(color) != 3:
        return False
    r, g, b = (float(c) for c in color)
    return r > 0.7 and g < 0.3 and b < 0.3


def _lines(chars: list[dict]) -> list[list[dict]]:
    """Characters grouped into text lines by their top edge, each line left to right."""
    rows: list[list[dict]] = []
    for char in sorted(chars, key=lambda c: (round(c["top"], 1), c["x0"])):
        if rows and abs(rows[-1][0]["top"] - char["top"]) < 1.0 and abs(rows[-1][0]["size"] - char["size"]) < 0.5:
            rows[-1].append(char)
        else:
            rows.append([char])
    return [sorted(row, key=lambda c: c["x0"]) for row in rows]


def _text(row: list[dict]) -> str:
    return "".join(c["text"] for c in row)


def _fonts(pdf) -> list[tuple[str, bool]]:
    """(BaseFont, embedded) of every font the pages use."""
    from pdfminer.pdftypes import resolve1

    seen: dict[str, bool] = {}
    for page in pdf.pages:
        resources = resolve1(page.page_obj.resources) or {}
        for ref in (resolve1(resources.get("Font")) or {}).values():
            font = resolve1(ref)
            name = getattr(resolve1(font.get("BaseFont")), "name", str(font.get("BaseFont")))
            descriptor = resolve1(font.get("FontDescriptor"))
            if descriptor is None and font.get("DescendantFonts"):
                descendant = resolve1(resolve1(font["DescendantFonts"])[0])
                descriptor = resolve1(descendant.get("FontDescriptor"))
            embedded = bool(descriptor) and any(k in descriptor for k in ("FontFile", "FontFile2", "FontFile3"))
            seen[name] = embedded
    return sorted(seen.items())


def _signature_rule(sign_row: list[dict] | None, date_row: list[dict]) -> Rule:
    """§7.3.5: with a seal the date ends four characters in from the right and the 署名 is centred
    over it; without, the 署名 ends two in from the right and the date starts two characters right
    of the 署名's first character (a longer date ends two in, the 署名 centred over it)."""
    name = "落款 placed after §7.3.5 (with or without a seal)"
    char = d.CHAR_PITCH_PT / MM
    right = d.LEFT_MM + d.BODY_WIDTH_MM
    date_x0, date_x1 = date_row[0]["x0"] / MM, date_row[-1]["x1"] / MM
    if not sign_row:
        return Rule(name, False, "no 署名 above the date")
    sign_x0, sign_x1 = sign_row[0]["x0"] / MM, sign_row[-1]["x1"] / MM
    centred = _near((sign_x0 + sign_x1) / 2, (date_x0 + date_x1) / 2, 1.0)
    tolerance = 1.0
    if _near(date_x1, right - 4 * char, tolerance) and centred:
        return Rule(name, True, f"with a seal: date ends {right - date_x1:.1f} mm from the right (4 characters "
                                f"{4 * char:.1f} mm), 署名 centred over it")
    if (_near(sign_x1, right - 2 * char, tolerance) and _near(date_x0, sign_x0 + 2 * char, tolerance)) or \
            (_near(date_x1, right - 2 * char, tolerance) and centred):
        return Rule(name, True, f"without a seal: 署名 ends {right - sign_x1:.1f} mm from the right, date starts "
                                f"{date_x0 - sign_x0:.1f} mm right of it")
    return Rule(name, False, f"署名 {sign_x0:.1f}–{sign_x1:.1f} mm, date {date_x0:.1f}–{date_x1:.1f} mm")


def check_pdf(data: bytes) -> list[Rule]:
    import pdfplumber

    rules: list[Rule] = []
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        pages = pdf.pages
        if not pages:
            return [Rule("A4 page", False, "no page")]
        sizes = {(round(p.width / MM), round(p.height / MM)) for p in pages}
        rules.append(Rule("A4 page", sizes == {(210, 297)}, f"{len(pages)} page(s), {sorted(sizes)} mm"))
        fonts = _fonts(pdf)
        bad = [n for n, emb in fonts if not emb or not re.match(r"^[A-Z]{6}\+", n)]
        rules.append(Rule("fonts embedded as subsets", bool(fonts) and not bad,
                          ", ".join(f"{n}{'' if e else ' (not embedded)'}" for n, e in fonts)))
        first = pages[0]
        chars = first.chars
        red = [c for c in chars if _is_red(c.get("non_stroking_color")) and c["size"] > d.TITLE_PT]
        mark_bottom = None
        if red:
            top = min(c["top"] for c in red) / MM
            mark_bottom = max(c["bottom"] for c in red) / MM
            centre = (min(c["x0"] for c in red) + max(c["x1"] for c in red)) / 2 / MM
            expected = d.TOP_MM + d.MARK_TOP_MM
            rules.append(_placed("版头 mark: red, top 35 mm below the 版心 (72 mm), centred", top, expected, centre,
                                 f" (expected {d.LEFT_MM + d.BODY_WIDTH_MM / 2:.1f}), text {_text(_lines(red)[0])}"))
        else:
            rules.append(Rule("版头 mark: red, top 35 mm below the 版心 (72 mm), centred", False, "no red mark"))
        rule_lines = [ln for ln in first.lines + first.rects if _is_red(ln.get("stroking_color"))
                      or _is_red(ln.get("non_stroking_color"))]
        number_rows = [row for row in _lines([c for c in chars if _near(c["size"], d.BODY_PT, 0.2)])
                       if "〔" in _text(row)]
        number_bottom = None
        if number_rows:
            row = number_rows[0]
            text = _text(row)
            top = row[0]["top"] / MM
            number_bottom = row[0]["bottom"] / MM
            centre = (row[0]["x0"] + row[-1]["x1"]) / 2 / MM
            expected = (mark_bottom or 0) + d.NUMBER_GAP_LINES * P_MM + (d.LINE_PITCH_PT - d.BODY_PT) / 2 / MM
            rules.append(Rule("发文字号 机关代字〔YYYY〕N号: no 第, no leading zero",
                              bool(d.NUMBER_RE.match(text)) and "第" not in text, text))
            rules.append(_placed("发文字号 centred two lines below the mark", top, expected, centre))
        else:
            rules.append(Rule("发文字号", True, "none: a draft, numbered when the office issues it"))
        rule_y = None
        if rule_lines:
            line = max(rule_lines, key=lambda ln: ln["x1"] - ln["x0"])
            width = (line["x1"] - line["x0"]) / MM
            rule_y = (line["top"] + line["bottom"]) / 2 / MM
            x0 = line["x0"] / MM
            if number_bottom is not None:
                expected_y = number_bottom + d.RULE_GAP_MM
            else:
                expected_y = (mark_bottom or 0) + (d.NUMBER_GAP_LINES + 1) * P_MM \
                    - (d.LINE_PITCH_PT - d.BODY_PT) / 2 / MM + d.RULE_GAP_MM
            rules.append(Rule("red rule 4 mm below the 发文字号, 156 mm wide",
                              _near(width, d.RULE_WIDTH_MM, 1.0) and _near(x0, d.LEFT_MM, 0.5)
                              and _near(rule_y, expected_y, 0.7),
                              f"y {rule_y:.1f} mm (expected {expected_y:.1f}), x {x0:.1f}–{x0 + width:.1f} mm, "
                              f"width {width:.1f} mm"))
        else:
            rules.append(Rule("red rule 4 mm below the 发文字号, 156 mm wide", False, "no red rule"))
        title_rows = _lines([c for c in chars if _near(c["size"], d.TITLE_PT, 0.2)
                             and not _is_red(c.get("non_stroking_color"))])
        if title_rows and rule_y is not None:
            row = title_rows[0]
            top = row[0]["top"] / MM
            expected = rule_y + d.TITLE_GAP_LINES * P_MM + (d.LINE_PITCH_PT - d.TITLE_PT) / 2 / MM
            centre = (row[0]["x0"] + row[-1]["x1"]) / 2 / MM
            rules.append(_placed("title 2号 (22 pt), two lines below the rule, centred", top, expected, centre,
                                 f", {_text(row)[:20]}"))
        else:
            rules.append(Rule("title 2号 (22 pt), two lines below the rule, centred", False, "no title"))
        # the text block and the page numbers, page by page
        outside: list[str] = []
        numbers_ok, number_detail = True, []
        body_bottom = d.TOP_MM + d.BODY_HEIGHT_MM
        for index, page in enumerate(pages, start=1):
            inside = [c for c in page.chars if c["top"] / MM < body_bottom + 1]
            below = [c for c in page.chars if c["top"] / MM >= body_bottom + 1]
            for c in inside:
                hanging = c["text"] in "，。、；：？！）》”’"
                right = d.LEFT_MM + d.BODY_WIDTH_MM + (d.CHAR_PITCH_PT / MM if hanging else 0.3)
                if not (d.LEFT_MM - 0.3 <= c["x0"] / MM and c["x1"] / MM <= right
                        and d.TOP_MM - 0.3 <= c["top"] / MM and c["bottom"] / MM <= body_bottom + 0.3):
                    outside.append(f"p{index} {c['text']}@({c['x0'] / MM:.1f},{c['top'] / MM:.1f})")
            text = _text(sorted(below, key=lambda c: c["x0"]))
            if not below:
                numbers_ok = False
                number_detail.append(f"p{index}: none")
                continue
            top = min(c["top"] for c in below) / MM
            x0, x1 = min(c["x0"] for c in below) / MM, max(c["x1"] for c in below) / MM
            inset = d.PAGE_NUMBER_INSET_PT / MM
            side_ok = (_near(x1, d.LEFT_MM + d.BODY_WIDTH_MM - inset, 1.0) if index % 2
                       else _near(x0, d.LEFT_MM + inset, 1.0))
            ok = (text == f"— {index} —" and _near(top, body_bottom + d.PAGE_NUMBER_GAP_MM, 1.0) and side_ok
                  and all(_near(c["size"], d.PAGE_NUMBER_PT, 0.2) for c in below))
            numbers_ok &= ok
            if not ok or index <= 2:
                number_detail.append(f"p{index} “{text}” top {top:.1f} mm, x {x0:.1f}–{x1:.1f} mm")
        rules.append(Rule("text inside the 版心 (x 28–184 mm, y 37–262 mm)", not outside,
                          "all characters inside" if not outside else "; ".join(outside[:5])))
        rules.append(Rule("page numbers 4号 “— N —” 7 mm below the 版心, odd right / even left, one character in",
                          numbers_ok, "; ".join(number_detail[:4])))
        body_rows = [row for page in pages for row in _lines([c for c in page.chars if _near(c["size"], d.BODY_PT, 0.2)
                                                               and c["top"] / MM < body_bottom])]
        widest = max((d.text_units(_text(row)) for row in body_rows), default=0)
        pitches = []
        for page in pages:
            tops = sorted({round(row[0]["top"], 1) for row in _lines(
                [c for c in page.chars if _near(c["size"], d.BODY_PT, 0.2) and c["top"] / MM < body_bottom])})
            pitches += [(b - a) / MM for a, b in zip(tops, tops[1:], strict=False) if (b - a) / MM < P_MM * 1.2]
        pitch = statistics.median(pitches) if pitches else P_MM
        advances = [(b["x0"] - a["x0"]) / MM for row in body_rows for a, b in zip(row, row[1:], strict=False)
                    if d.is_wide(a["text"]) and d.is_wide(b["text"]) and (b["x0"] - a["x0"]) < 1.5 * d.CHAR_PITCH_PT]
        char_pitch = statistics.median(advances) if advances else 0.0
        expected_char = d.BODY_WIDTH_MM / d.CHARS_PER_LINE
        rules.append(Rule("body 3号 (16 pt), 22 lines of 28 characters",
                          _near(pitch, P_MM, 0.1) and _near(char_pitch, expected_char, 0.05)
                          and widest <= d.CHARS_PER_LINE + 1,
                          f"line pitch {pitch:.2f} mm (expected {P_MM:.2f}), character pitch {char_pitch:.2f} mm "
                          f"(expected {expected_char:.2f}), widest line {widest:g} characters"))
        last = pages[-1]
        last_rows = _lines([c for c in last.chars if _near(c["size"], d.BODY_PT, 0.2) and c["top"] / MM < body_bottom])
        dated = [i for i, row in enumerate(last_rows) if DATE_RE.fullmatch(_text(row).strip())]
        if dated:
            above = len(dated and last_rows[:dated[-1] - 1])
            date_row = last_rows[dated[-1]]
            date_text = _text(date_row)
            rules.append(Rule("落款 on the same page as the end of the text", above >= 1,
                              f"page {len(pages)}: {above} line(s) of text above the 署名, date {date_text}"))
            rules.append(_signature_rule(last_rows[dated[-1] - 1] if dated[-1] else None, date_row))
        else:
            rules.append(Rule("落款 on the same page as the end of the text", False, "no date line on the last page"))
        table_pages = [(i, _lines([c for c in p.chars if _near(c["size"], d.TABLE_PT, 0.2)]))
                       for i, p in enumerate(pages, start=1)]
        table_pages = [(i, rows) for i, rows in table_pages if rows]
        if len(table_pages) > 1:
            header_font = table_pages[0][1][0][0]["fontname"]
            missing = [i for i, rows in table_pages[1:] if rows[0][0]["fontname"] != header_font]
            rules.append(Rule("table header row repeated on each page", not missing,
                              f"tables on pages {[i for i, _r in table_pages]}; header missing on {missing}"
                              if missing else f"tables on pages {[i for i, _r in table_pages]}"))
        elif table_pages:
            rules.append(Rule("table header row repeated on each page", True, "the table fits one page"))
    return rules


def check_docx(data: bytes) -> list[Rule]:
    from docx import Document
    from docx.oxml.ns import qn

    document = Document(io.BytesIO(data))
    rules: list[Rule] = []
    section = document.sections[0]
    measures = {"width": section.page_width.mm, "height": section.page_height.mm, "top": section.top_margin.mm,
                "bottom": section.bottom_margin.mm, "left": section.left_margin.mm, "right": section.right_margin.mm}
    expected = {"width": d.PAGE_WIDTH_MM, "height": d.PAGE_HEIGHT_MM, "top": d.TOP_MM, "bottom": d.BOTTOM_MM,
                "left": d.LEFT_MM, "right": d.RIGHT_MM}
    rules.append(Rule("A4, 天头 37 mm, 订口 28 mm, 版心 156 × 225 mm",
                      all(_near(measures[k], expected[k], 0.3) for k in expected),
                      ", ".join(f"{k} {v:.1f}" for k, v in measures.items())))
    grid = section._sectPr.find(qn("w:docGrid"))
    pitch = int(grid.get(qn("w:linePitch"))) if grid is not None else 0
    normal = document.styles["Normal"]
    spacing = normal.element.rPr.find(qn("w:spacing")) if normal.element.rPr is not None else None
    condense = int(spacing.get(qn("w:val"))) if spacing is not None else 0
    char_pitch = d.BODY_PT + condense / 20
    chars = int((d.BODY_WIDTH_MM * MM + 0.5) // char_pitch)
    rules.append(Rule("22 lines of 28 characters (line grid 28.99 pt, body condensed to 15.79 pt)",
                      grid is not None and abs(pitch - int(d.LINE_PITCH_PT * 20)) <= 2
                      and grid.get(qn("w:type")) in ("lines", "linesAndChars") and chars == d.CHARS_PER_LINE,
                      f"linePitch {pitch} twips, character pitch {char_pitch:.2f} pt: {chars} per line"))
    rfonts = normal.element.rPr.rFonts if normal.element.rPr is not None else None
    east = rfonts.get(qn("w:eastAsia")) if rfonts is not None else None
    rules.append(Rule("body 仿宋 3号 (16 pt), East Asian font set", east in d.DOCX_FONTS["fangsong"]
                      and normal.font.size is not None and _near(normal.font.size.pt, d.BODY_PT, 0.1),
                      f"eastAsia {east}, {normal.font.size.pt if normal.font.size else None} pt"))
    paragraphs = document.paragraphs
    mark = paragraphs[0] if paragraphs else None
    mark_run = mark.runs[0] if mark is not None and mark.runs else None
    color = str(mark_run.font.color.rgb) if mark_run is not None and mark_run.font.color.rgb is not None else ""
    mark_font = mark_run._element.rPr.rFonts.get(qn("w:eastAsia")) if mark_run is not None else None
    space = mark.paragraph_format.space_before.mm if mark is not None and mark.paragraph_format.space_before else 0
    rules.append(Rule("版头 mark red 小标宋, 35 mm below the top of the 版心",
                      color.upper() == d.RED_HEX and mark_font in d.DOCX_FONTS["xiaobiaosong"]
                      and _near(space, d.MARK_TOP_MM, 0.3), f"{mark.text if mark else ''} color {color}, "
                      f"font {mark_font}, space before {space:.1f} mm"))
    bordered = [p for p in paragraphs if p._p.pPr is not None and p._p.pPr.find(qn("w:pBdr")) is not None]
    if bordered:
        number = bordered[0]
        bottom = number._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom"))
        text = number.text
        rules.append(Rule("发文字号 机关代字〔YYYY〕N号: no 第, no leading zero",
                          (not text or bool(d.NUMBER_RE.match(text))) and "第" not in text, text or "none (a draft)"))
        rules.append(Rule("red rule under the 发文字号, 4 mm below, as wide as the 版心",
                          bottom is not None and bottom.get(qn("w:color")).upper() == d.RED_HEX
                          and abs(int(bottom.get(qn("w:space"))) - d.RULE_GAP_MM * MM) <= 1,
                          f"color {bottom.get(qn('w:color'))}, space {bottom.get(qn('w:space'))} pt"))
    else:
        rules.append(Rule("red rule under the 发文字号, 4 mm below, as wide as the 版心", False, "no rule"))
    titles = [p for p in paragraphs
              if p.runs and p.runs[0].font.size and _near(p.runs[0].font.size.pt, d.TITLE_PT, 0.1)]
    if titles:
        run = titles[0].runs[0]
        font = run._element.rPr.rFonts.get(qn("w:eastAsia"))
        rules.append(Rule("title 2号 小标宋, centred", font in d.DOCX_FONTS["xiaobiaosong"]
                          and titles[0].alignment == 1, f"{titles[0].text[:20]} font {font}"))
    else:
        rules.append(Rule("title 2号 小标宋, centred", False, "no 22 pt title"))
    for index, table in enumerate(document.tables):
        first_row = table.rows[0]._tr
        header = first_row.trPr is not None and first_row.trPr.find(qn("w:tblHeader")) is not None
        widths = [c.width.mm for c in table.rows[0].cells if c.width is not None]
        if len(widths) < 3:
            continue
        fitted = widths[0] == min(widths) and max(widths) >= 2 * min(widths)
        rules.append(Rule(f"table {index + 1}: header repeats, columns sized to content", header and fitted,
                          "widths " + ", ".join(f"{w:.0f}" for w in widths) + " mm"
                          + ("" if header else "; no repeating header")))
    settings = document.settings.odd_and_even_pages_header_footer
    footers = {"odd": section.footer, "even": section.even_page_footer}
    footer_ok = settings
    detail = []
    for side, footer in footers.items():
        xml = footer._element.xml
        has_page = "PAGE" in xml
        run = footer.paragraphs[0].runs[0] if footer.paragraphs and footer.paragraphs[0].runs else None
        size = run.font.size.pt if run is not None and run.font.size else None
        align = footer.paragraphs[0].alignment if footer.paragraphs else None
        spacing = footer.paragraphs[0].paragraph_format.line_spacing if footer.paragraphs else None
        line_mm = spacing.mm if spacing is not None and hasattr(spacing, "mm") else 0.0
        # the footer's line ends footer_distance above the page's foot: its top is line_mm higher
        top_below_body = d.BOTTOM_MM - (section.footer_distance.mm + line_mm)
        ok = (has_page and size == d.PAGE_NUMBER_PT and align == (2 if side == "odd" else 0)
              and _near(top_below_body, d.PAGE_NUMBER_GAP_MM, 0.3))
        footer_ok &= ok
        detail.append(f"{side}: PAGE field {has_page}, {size} pt, align {align}, "
                      f"top {top_below_body:.1f} mm below the 版心")
    rules.append(Rule("page numbers 4号 “— N —” 7 mm below the 版心, odd right / even left", bool(footer_ok),
                      "; ".join(detail)))
    dated = [i for i, p in enumerate(paragraphs) if DATE_RE.fullmatch(p.text.strip())]
    if dated:
        index = dated[-1]
        # back from the date: the 署名, the blank lines, and the text's last paragraph
        chain = [paragraphs[index - 1]] if index else []
        cursor = index - 2
        while cursor >= 0 and not paragraphs[cursor].text.strip():
            chain.append(paragraphs[cursor])
            cursor -= 1
        if cursor >= 0:
            chain.append(paragraphs[cursor])
        kept = bool(chain) and all(p.paragraph_format.keep_with_next for p in chain)
        rules.append(Rule("落款 kept with the end of the text (keep with next)", kept,
                          f"date {paragraphs[index].text}"))
    else:
        rules.append(Rule("落款 kept with the end of the text (keep with next)", False, "no date paragraph"))
    return rules


def check_file(data: bytes, name: str = "") -> list[Rule]:
    """Check a PDF or a .docx, told apart by their first bytes."""
    if data[:4] == b"%PDF":
        return check_pdf(data)
    if data[:2] == b"PK" and zipfile.is_zipfile(io.BytesIO(data)):
        return check_docx(data)
    raise ValueError(f"not a PDF or .docx: {name}")


documents_cli = AppGroup("documents", help="Official documents (GB/T 9704-2012).")


@documents_cli.command("check")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def check(file: Path) -> None:
    """Measure FILE (.pdf or .docx) against GB/T 9704-2012; exit 1 when a rule fails."""
    try:
        rules = check_file(file.read_bytes(), file.name)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    except Exception as exc:  # a damaged or encrypted file: say so, without a traceback
        raise click.ClickException(f"cannot read {file.name}: {exc.__class__.__name__}: {exc}") from exc
    for rule in rules:
        click.echo(rule.line())
    failed = [r for r in rules if not r.passed]
    click.echo(f"{len(rules) - len(failed)} passed, {len(failed)} failed")
    if failed:
        raise SystemExit(1)

