"""Every generated kind of official document, with 1 task and with 60 (several pages), measured
against GB/T 9704-2012 by the conformance check: PDF geometry and .docx settings, rule by rule."""

from __future__ import annotations

from datetime import date

import pytest
from click.testing import CliRunner

from tracker import conformance, fonts
from tracker.notices import documents as notice_documents
from tracker.notices import services
from tracker.plans.models import Measure, MeasureKind
from tracker.reports import bulletin, summary
from tracker.tasks.models import ProgressReport, TaskState

LONG = "推进城区老旧小区改造，完成管网更新、外立面整治和无障碍设施建设，做到应改尽改、群众满意。"


def _tasks(make_task, people, count: int):
    tasks = []
    for index in range(count):
        due = date(2026, 2, 20) if index % 3 == 0 else date(2026, 3, 6)
        tasks.append(make_task(people.unit, due, text=f"第{index + 1}项：{LONG}", supervisor=people.supervisor))
    return tasks


def _kinds(db, app, people, make_task, count: int, now) -> dict[str, tuple[bytes, bytes]]:
    """督办单, 补发督办单, 催办单, 通报 and summary, each as (pdf, docx)."""
    tasks = _tasks(make_task, people, count)
    notice = services.issue_notices("2026-H1", unit_ids=[people.unit.id], actor=people.supervisor, now=now)[0]
    db.session.commit()
    later = _tasks(make_task, people, count)
    supplement = services.issue_supplements("2026-H1", actor=people.supervisor, now=now)[0]
    db.session.commit()
    assert {i.task_id for i in supplement.items} == {t.id for t in later}
    chase = services.issue_chase_notice(tasks[0], actor=people.supervisor, now=now)
    db.session.commit()
    for task in tasks[: count // 2]:
        db.session.add(ProgressReport(task_id=task.id, author_id=people.lead.id, text="已完成方案编制，正在组织施工。",
                                      created_at=now))
    tasks[-1].state = TaskState.completed
    db.session.commit()
    period = bulletin.parse_period("2026年上半年")
    number = bulletin.bulletin_number(period, actor=people.supervisor, now=now)
    db.session.commit()
    data = bulletin.bulletin_data(people.admin, period, now)
    report = summary.build_summary(people.admin, tasks[0].plan, now)
    return {
        "督办单": (notice_documents.render_pdf(notice), notice_documents.render_docx(notice)),
        "补发督办单": (notice_documents.render_pdf(supplement), notice_documents.render_docx(supplement)),
        "催办单": (notice_documents.render_pdf(chase), notice_documents.render_docx(chase)),
        "通报": (bulletin.bulletin_pdf(data, number), bulletin.bulletin_docx(data, number)),
        "summary": (summary.summary_pdf(report), summary.summary_docx(report)),
    }


@pytest.mark.parametrize("count", [1, 60])
def test_every_kind_conforms(db, app, people, make_task, now, count):
    if count == 1:
        # one run without a seal and with a 版记: the 落款 after §7.3.5.2, 抄送 and 印发 at the foot
        app.config.update(DOCUMENT_SEAL=False, DOCUMENT_COPY_TO="县委办公室，县人大常委会办公室",
                          DOCUMENT_PRINTER="示范县人民政府督查室")
    if fonts.missing_roles():
        pytest.skip(f"no embeddable font for {fonts.missing_roles()}: run `make fonts`")
    kinds = _kinds(db, app, people, make_task, count, now)
    for kind, (pdf, docx) in kinds.items():
        pdf_rules = conformance.check_pdf(pdf)
        docx_rules = conformance.check_docx(docx)
        failed = [f"{kind} PDF {r.line()}" for r in pdf_rules if not r.passed]
        failed += [f"{kind} docx {r.line()}" for r in docx_rules if not r.passed]
        assert not failed, "\n".join(failed)
        names = {r.name for r in pdf_rules}
        assert any(n.startswith("版头 mark") for n in names) and any(n.startswith("page numbers") for n in names)
        signature = next(r for r in pdf_rules if r.name.startswith("落款 placed"))
        assert signature.detail.startswith("without a seal" if count == 1 else "with a seal"), signature.line()
        if count == 60 and kind != "催办单":
            assert "table header row repeated on each page" in names or kind == "summary"
    # several pages at 60 tasks; a short document at 1
    import io

    import pdfplumber
    with pdfplumber.open(io.BytesIO(kinds["督办单"][0])) as pdf:
        assert (len(pdf.pages) > 2) == (count == 60)


def test_the_check_fails_what_breaks_the_standard(db, app, people, make_task, now):
    """A PDF without the 版头 and with a built-in font fails; the check is not a rubber stamp."""
    import io

    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=(595, 842))
    page.setFont("Helvetica", 16)
    page.drawString(20, 800, "No 1")
    page.save()
    rules = {r.name: r.passed for r in conformance.check_pdf(out.getvalue())}
    assert rules["fonts embedded as subsets"] is False
    assert rules["版头 mark: red, top 35 mm below the 版心 (72 mm), centred"] is False
    assert rules["text inside the 版心 (x 28–184 mm, y 37–262 mm)"] is False


def test_cli_prints_each_rule(db, app, people, make_task, now, tmp_path):
    make_task(people.unit, date(2026, 2, 20), supervisor=people.supervisor)
    notice = services.issue_notices("2026-H1", actor=people.supervisor, now=now)[0]
    db.session.commit()
    path = tmp_path / "notice.pdf"
    path.write_bytes(notice_documents.render_pdf(notice))
    result = CliRunner().invoke(conformance.check, [str(path)])
    assert "PASS  版头 mark" in result.output and "发文字号" in result.output
    assert result.exit_code == (0 if not fonts.missing_roles() else 1), result.output
    bad = tmp_path / "x.txt"
    bad.write_text("hello")
    assert CliRunner().invoke(conformance.check, [str(bad)]).exit_code != 0
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\n" + b"x" * 200)
    result = CliRunner().invoke(conformance.check, [str(broken)])
    assert result.exit_code == 1 and "cannot read broken.pdf" in result.output and "Traceback" not in result.output


def test_summary_is_short_for_a_plan_of_100_measures(db, app, people, make, now):
    """A few pages for 100 measures of two units each, most with reports; states in words that
    match the tasks, and all-待办理 is 未启动, not 正在办理."""
    import io

    import pdfplumber

    from tracker.tasks.models import Task

    plan = make.plan(supervisor=people.supervisor)
    states = [TaskState.assigned, TaskState.in_progress, TaskState.completed]
    for index in range(100):
        measure = Measure(plan_id=plan.id, position=1000 + index, level=1, number=str(index + 1), text=LONG,
                          kind=MeasureKind.measure)
        db.session.add(measure)
        db.session.flush()
        for unit in (people.unit, people.other_unit):
            task = Task(measure_id=measure.id, plan_id=plan.id, unit_id=unit.id, state=states[index % 3],
                        due_on=date(2026, 2, 27), original_due_on=date(2026, 2, 27), assigned_on=date(2026, 1, 10),
                        return_count=1 if index % 10 == 0 else 0)
            db.session.add(task)
            db.session.flush()
            if index % 3:
                db.session.add(ProgressReport(task_id=task.id, author_id=people.lead.id, created_at=now,
                                              text="已完成方案编制，组织专班推进，完成投资1200万元，群众满意度明显提升。"))
    db.session.commit()
    report = summary.build_summary(people.admin, plan, now)
    assert report.totals_sentence.endswith("已办结66项，办理中66项，未启动68项。")
    with pdfplumber.open(io.BytesIO(summary.summary_pdf(report))) as pdf:
        text = "".join(page.extract_text() or "" for page in pdf.pages).replace("\n", "")
        assert len(pdf.pages) <= 6, len(pdf.pages)
    assert "正在办理" not in text and "超期未办结" in text and "退回重办" in text and "等" in text

    only_todo = make.plan(supervisor=people.supervisor)
    for index in range(18):
        measure = Measure(plan_id=only_todo.id, position=index + 1, level=1, number=str(index + 1), text="落实整改。",
                          kind=MeasureKind.measure)
        db.session.add(measure)
        db.session.flush()
        db.session.add(Task(measure_id=measure.id, plan_id=only_todo.id, unit_id=people.unit.id,
                            state=TaskState.assigned, due_on=date(2026, 12, 31), original_due_on=date(2026, 12, 31),
                            assigned_on=date(2026, 1, 10)))
    db.session.commit()
    todo = summary.build_summary(people.admin, only_todo, now)
    assert todo.totals_sentence.endswith("已办结0项，办理中0项，未启动18项。")
