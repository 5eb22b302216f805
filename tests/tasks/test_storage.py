"""Evidence files: types by content, size limit, names, interrupted uploads, downloads."""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage

from tests.tasks.conftest import PDF, PNG, upload
from tracker.tasks import services, storage
from tracker.tasks.models import Evidence
from tracker.tasks.services import TaskError


def zip_bytes(names: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in names.items():
            archive.writestr(name, data)
    return buffer.getvalue()


DOCX = zip_bytes({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
XLSX = zip_bytes({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})
OFD = zip_bytes({"OFD.xml": b"<ofd:OFD/>", "Doc_0/Document.xml": b"<Document/>"})
ZIP = zip_bytes({"照片/1.jpg": b"\xff\xd8\xff\xe0"})
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF" + b"\x00" * 32
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64


def files_in(app) -> list[str]:
    folder = app.config["UPLOAD_FOLDER"]
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def evidence_rows(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Evidence))


@pytest.fixture
def started(db, people, task, now):
    services.start(task, actor=people.lead, now=now)
    db.session.commit()
    return task


@pytest.mark.parametrize("name,data", [
    ("报告.pdf", PDF), ("照片.png", PNG), ("现场.jpg", JPEG), ("现场.JPEG", JPEG), ("纪要.docx", DOCX),
    ("台账.xlsx", XLSX), ("公文.ofd", OFD), ("材料.zip", ZIP), ("旧版.doc", OLE), ("旧表.xls", OLE),
    ("金山.wps", OLE), ("金山表.et", OLE),
])
def test_allowed_types_by_content(app, db, people, started, now, name, data):
    rows = services.add_evidence(started, actor=people.lead, files=[upload(name, data)], now=now)
    db.session.commit()
    assert rows[0].original_name == name
    assert os.path.exists(storage.path_for(rows[0].stored_name))
    assert rows[0].stored_name.endswith("." + name.rsplit(".", 1)[1].lower())


@pytest.mark.parametrize("name,data", [
    ("病毒.pdf", EXE), ("伪装.docx", ZIP), ("伪装.xlsx", DOCX), ("程序.exe", EXE), ("无扩展名", PDF),
    ("脚本.html", b"<script>alert(1)</script>"), ("空文件.pdf", b""), ("坏压缩.zip", b"PK\x03\x04garbage"),
    ("图片.png", JPEG),
])
def test_refused_types_leave_no_file_and_no_row(app, db, people, started, now, name, data):
    with pytest.raises(TaskError):
        services.add_evidence(started, actor=people.lead, files=[upload(name, data)], now=now)
    db.session.rollback()
    assert files_in(app) == []
    assert evidence_rows(db) == 0


def test_file_over_the_limit_is_refused_and_nothing_is_left(app, db, people, started, now):
    app.config["EVIDENCE_MAX_MB"] = 1
    big = PDF + b"0" * (1024 * 1024)
    with pytest.raises(TaskError, match="大小限制"):
        services.add_evidence(started, actor=people.lead, files=[upload("大文件.pdf", big)], now=now)
    db.session.rollback()
    assert files_in(app) == [] and evidence_rows(db) == 0


def test_second_bad_file_removes_the_first_one_too(app, db, people, started, now):
    with pytest.raises(TaskError):
        services.add_evidence(started, actor=people.lead, files=[upload("好.pdf", PDF), upload("坏.pdf", EXE)],
                              now=now)
    db.session.rollback()
    assert files_in(app) == [] and evidence_rows(db) == 0


class BrokenStream(io.RawIOBase):
    """A client that goes away in the middle of the upload."""

    def __init__(self):
        self.calls = 0

    def readable(self):
        return True

    def read(self, size=-1):
        self.calls += 1
        if self.calls == 1:
            return PDF + b"x" * 1000
        raise ConnectionResetError("client went away")


def test_upload_cut_off_mid_stream_leaves_no_file_and_no_row(app, db, people, started, now):
    broken = FileStorage(stream=BrokenStream(), filename="中断.pdf")
    with pytest.raises(TaskError, match="中断"):
        services.add_evidence(started, actor=people.lead, files=[broken], now=now)
    db.session.rollback()
    assert files_in(app) == [] and evidence_rows(db) == 0


def test_failed_transaction_removes_stored_files(app, db, people, started, now):
    services.add_evidence(started, actor=people.lead, files=[upload()], now=now)
    assert len(files_in(app)) == 1
    db.session.rollback()  # e.g. a later step of the same request failed
    assert files_in(app) == [] and evidence_rows(db) == 0


def test_sha256_and_size_are_stored(app, db, people, started, now):
    data = PDF + "中文内容".encode() * 100
    row = services.add_evidence(started, actor=people.lead, files=[upload("报告.pdf", data)], note="会议纪要",
                                proves="2026 上半年", now=now)[0]
    db.session.commit()
    row = db.session.get(Evidence, row.id)
    assert row.size == len(data)
    assert row.sha256 == hashlib.sha256(data).hexdigest()
    assert row.content_type == "application/pdf" and row.period_key == "2026-H1" and row.note == "会议纪要"
    with open(storage.path_for(row.stored_name), "rb") as handle:
        assert handle.read() == data


@pytest.mark.parametrize("given,shown", [
    ("../../x.pdf", "x.pdf"),
    ("..\\..\\windows\\报告.pdf", "报告.pdf"),
    ("CON.pdf", "CON.pdf"),
    ("报\x00告\r\n.pdf", "报告.pdf"),
    ("/etc/passwd.pdf", "passwd.pdf"),
    ("  .pdf", "未命名.pdf"),
])
def test_display_names(given, shown, app):
    with app.test_request_context():
        assert storage.display_name(given) == shown


def test_stored_name_never_comes_from_the_user(app, db, people, started, now):
    row = services.add_evidence(started, actor=people.lead, files=[upload("../../CON.pdf")], now=now)[0]
    db.session.commit()
    assert row.original_name == "CON.pdf"
    assert "CON" not in row.stored_name and "/" not in row.stored_name
    assert files_in(app) == [row.stored_name]


def test_long_chinese_name_is_cut_to_255_keeping_the_extension(app, db, people, started, now):
    name = "关于" + "落实重点工作" * 40 + ".pdf"
    assert len(name) > 200
    row = services.add_evidence(started, actor=people.lead, files=[upload(name)], now=now)[0]
    db.session.commit()
    assert len(row.original_name) <= 255 and row.original_name.endswith(".pdf")
    assert row.original_name.startswith("关于落实")
    two_hundred = "材" * 196 + ".pdf"
    assert storage.display_name(two_hundred) == two_hundred


def test_download_keeps_the_chinese_name(app, db, people, started, auth, now):
    row = services.add_evidence(started, actor=people.lead, files=[upload("东城区落实情况报告.pdf")], now=now)[0]
    db.session.commit()
    response = auth.client_for(people.supervisor).get(f"/tasks/evidence/{row.id}")
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert "filename*=UTF-8''" + quote("东城区落实情况报告.pdf") in disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.data == PDF
    response.close()


def test_download_of_a_missing_file_is_404(app, db, people, started, auth, now):
    row = services.add_evidence(started, actor=people.lead, files=[upload()], now=now)[0]
    db.session.commit()
    os.remove(storage.path_for(row.stored_name))
    assert auth.client_for(people.lead).get(f"/tasks/evidence/{row.id}").status_code == 404


def test_upload_through_the_page(app, db, people, started, auth):
    client = auth.client_for(people.lead)
    response = client.post(f"/tasks/{started.id}/evidence",
                           data={"files": (io.BytesIO(PDF), "会议纪要.pdf"), "proves": "2026-H1"},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    assert db.session.scalar(sa.select(Evidence.original_name)) == "会议纪要.pdf"
    response = client.post(f"/tasks/{started.id}/evidence", data={"files": (io.BytesIO(EXE), "木马.pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert "内容与扩展名不符" in response.get_data(as_text=True)
    assert evidence_rows(db) == 1 and len(files_in(app)) == 1
