"""督办单 through the API: listing by visibility, JSON detail, Word and PDF files."""

from __future__ import annotations

import pytest

from tracker.db import utcnow
from tracker.notices import services as notice_services


@pytest.fixture
def notices(db, people, tasks):
    issued = notice_services.issue_notices("2026-H1", actor=people.supervisor, now=utcnow())
    db.session.commit()
    return {notice.unit_id: notice for notice in issued}


def test_unit_sees_only_its_notices(api_for, people, notices):
    mine, theirs = notices[people.unit.id], notices[people.other_unit.id]
    api = api_for(people.lead)
    listed = api.get("/notices").get_json()
    assert [n["id"] for n in listed["items"]] == [mine.id]
    detail = api.get(f"/notices/{mine.id}").get_json()
    assert detail["number_label"] == mine.number_label and len(detail["items"]) == 1
    for suffix in ("", ".docx", ".pdf"):
        assert api.get(f"/notices/{theirs.id}{suffix}").status_code == 404
    assert api_for(people.supervisor).get("/notices").get_json()["total"] == 2


def test_notice_files(api_for, people, notices):
    api = api_for(people.lead)
    notice = notices[people.unit.id]
    docx = api.get(f"/notices/{notice.id}.docx")
    assert docx.status_code == 200 and docx.data[:2] == b"PK"
    assert docx.mimetype.endswith("wordprocessingml.document")
    assert docx.headers["Content-Disposition"].startswith("attachment")
    pdf = api.get(f"/notices/{notice.id}.pdf")
    assert pdf.status_code == 200 and pdf.data[:4] == b"%PDF" and pdf.mimetype == "application/pdf"
