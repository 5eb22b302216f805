"""Fonts found at run time: embedded when installed; otherwise the built-in CID font, with a warning
on the outbox and admin pages, never silently."""

from __future__ import annotations

import re
from datetime import date

import pytest

from tracker import documents, fonts


@pytest.fixture
def no_fonts(monkeypatch):
    """A machine without any of the fonts: every role's families are names nothing installs."""
    monkeypatch.setattr(fonts, "FAMILIES", {role: ("No Such Font",) for role in fonts.FAMILIES})
    fonts.reset()
    yield
    monkeypatch.undo()
    fonts.reset()


def _pdf() -> bytes:
    doc = documents.OfficialDocument(mark="示范县人民政府督查室", number="督办〔2026〕1号", title="督办单",
                                     addressee="县住建局", blocks=[documents.Para("请认真对照办理。")],
                                     signature="示范县人民政府督查室", signed_on=date(2026, 12, 6))
    return documents.render_pdf(doc)


def test_installed_fonts_are_embedded(app):
    fonts.reset()
    if fonts.missing_roles():
        pytest.skip("the free fonts are not installed: run `make fonts`")
    names = re.findall(rb"/BaseFont /([A-Za-z0-9+\-]+)", _pdf())
    assert names and all(re.match(rb"[A-Z]{6}\+", n) for n in names), names
    assert fonts.font_for("kaiti").family in fonts.FAMILIES["kaiti"]


def test_missing_fonts_fall_back_with_a_warning(app, auth, people, no_fonts):
    assert fonts.missing_names() == ["仿宋", "小标宋", "黑体", "楷体", "宋体"]
    assert b"/BaseFont /STSong-Light" in _pdf()
    for path in ("/outbox", "/admin/users/"):
        page = auth.client_for(people.admin).get(path, follow_redirects=True).get_data(as_text=True)
        assert "未找到可嵌入的中文字体" in page, path


def test_no_warning_when_fonts_are_there(app, auth, people):
    fonts.reset()
    if fonts.missing_roles():
        pytest.skip("the free fonts are not installed: run `make fonts`")
    page = auth.client_for(people.admin).get("/outbox").get_data(as_text=True)
    assert "未找到可嵌入的中文字体" not in page


def test_text_stays_in_the_body_whatever_it_holds(app):
    """A long link breaks anywhere; runs of closing marks never start a line nor leave the 版心."""
    from tracker import conformance

    if fonts.missing_roles():
        pytest.skip("the free fonts are not installed: run `make fonts`")
    doc = documents.OfficialDocument(
        mark="示范县人民政府督查室", number="督办〔2026〕3号", title="督办单", addressee="县住建局",
        blocks=[documents.Para("链接：https://example.gov.cn/" + "a" * 150 + "。"),
                documents.Para("（一）（二）、、。。））》》测试" * 5)],
        signature="示范县人民政府督查室", signed_on=date(2026, 12, 6))
    pdf = documents.render_pdf(doc)
    rules = {r.name: r for r in conformance.check_pdf(pdf)}
    assert rules["text inside the 版心 (x 28–184 mm, y 37–262 mm)"].passed, rules
    import io

    import pdfplumber

    with pdfplumber.open(io.BytesIO(pdf)) as opened:
        lines = [line.strip() for page in opened.pages for line in (page.extract_text() or "").splitlines()]
    assert not [line for line in lines if line[:1] in "，。、；：）》"], lines
