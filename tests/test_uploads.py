"""One upload check for every way a file comes in: evidence (page and API), plan import, the
unit and user imports. A zip bomb is refused with a clear message wherever it is sent."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile

import pytest
import sqlalchemy as sa

from tests.plans.docx_factory import write_zip_bomb
from tracker import uploads
from tracker.auth.models import User
from tracker.tasks.models import Evidence
from tracker.units.models import Unit

#: 12 MB of zeros in a few kB: over ZIP_RATIO_MIN_TOTAL and far past ZIP_MAX_RATIO
BOMB_SIZE = 12 * 1024 * 1024


@pytest.fixture
def bomb(tmp_path) -> bytes:
    return write_zip_bomb(tmp_path / "bomb.docx", size=BOMB_SIZE).read_bytes()


def _stored_files(app) -> list[str]:
    folder = app.config["UPLOAD_FOLDER"]
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def test_archive_check_refuses_bombs_and_passes_documents(bomb):
    with zipfile.ZipFile(io.BytesIO(bomb)) as archive, pytest.raises(uploads.UploadRefused) as info:
        uploads.check_archive(archive, len(bomb), "bomb.docx")
    assert info.value.code == "zip_bomb" and "bomb.docx" in str(info.value)
    small = io.BytesIO()
    with zipfile.ZipFile(small, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document>" + "推进" * 20000 + "</w:document>")
    uploads.open_archive(small.getvalue(), "ok.docx").close()
    many = io.BytesIO()
    with zipfile.ZipFile(many, "w") as archive:
        for i in range(uploads.ZIP_MAX_ENTRIES + 1):
            archive.writestr(f"f{i}", b"")
    with pytest.raises(uploads.UploadRefused):
        uploads.open_archive(many.getvalue(), "many.zip")
    with pytest.raises(uploads.UploadRefused) as info:
        uploads.open_archive(b"PK\x03\x04 not a zip", "broken.docx")
    assert info.value.code == "corrupt_archive"


def test_the_checks_import_without_flask():
    """The plan parser runs without Flask and may call the archive check."""
    code = "import sys, tracker.uploads; assert 'flask' not in sys.modules, sorted(sys.modules)"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=os.path.dirname(os.path.dirname(__file__)))


def test_zip_bomb_named_docx_is_refused_as_evidence_on_the_page(app, db, auth, people, assigned_task, bomb):
    client = auth.client_for(people.lead)
    response = client.post(f"/tasks/{assigned_task.id}/evidence", data={"files": (io.BytesIO(bomb), "落实情况.docx")},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert "解压后过大" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Evidence.id))) == 0
    assert _stored_files(app) == []


def test_zip_bomb_named_docx_is_refused_as_evidence_by_the_api(app, db, people, assigned_task, bomb, now):
    from tracker.api import auth as api_auth

    _token, secret = api_auth.create_token(people.lead, "上传", actor=people.lead, now=now)
    db.session.commit()
    response = app.test_client().post(
        f"/api/v1/tasks/{assigned_task.id}/evidence", data={"file": (io.BytesIO(bomb), "落实情况.docx")},
        content_type="multipart/form-data", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error" and "解压后过大" in error["message"]
    assert db.session.scalar(sa.select(sa.func.count(Evidence.id))) == 0
    assert _stored_files(app) == []


def test_zip_bomb_is_refused_by_the_unit_and_user_imports(db, auth, people, tmp_path):
    bomb = write_zip_bomb(tmp_path / "bomb.xlsx", size=BOMB_SIZE, name="xl/worksheets/sheet1.xml").read_bytes()
    client = auth.client_for(people.admin)
    units_before = db.session.scalar(sa.select(sa.func.count(Unit.id)))
    users_before = db.session.scalar(sa.select(sa.func.count(User.id)))
    response = client.post("/admin/units/import", data={"file": (io.BytesIO(bomb), "单位.xlsx")},
                           content_type="multipart/form-data", follow_redirects=True)
    assert "解压后过大" in response.get_data(as_text=True)
    response = client.post("/admin/import", data={"kind": "users", "file": (io.BytesIO(bomb), "用户.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 422 and "解压后过大" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Unit.id))) == units_before
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == users_before


def test_imports_past_their_size_limit_are_refused(app, db, auth, people):
    app.config["IMPORT_MAX_MB"] = 1
    client = auth.client_for(people.admin)
    big = io.BytesIO(("代码,名称\n" + "x,y\n" * 400000).encode())
    response = client.post("/admin/import", data={"kind": "units", "file": (big, "单位.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 413 and "1 MB" in response.get_data(as_text=True)
