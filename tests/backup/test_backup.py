"""``flask backup`` and ``flask restore``: a populated install (plans, tasks, evidence, 督办单, outbox)
round-trips into an empty one, on SQLite and on PostgreSQL, and every row and file compares equal."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from tests import factories
from tests.deploy.procs import postgres_database
from tests.tasks.conftest import PDF, PNG, upload
from tracker import create_app
from tracker.backup import services as backup_services
from tracker.extensions import db
from tracker.notices import services as notice_services
from tracker.tasks import services as task_services
from tracker.tasks.models import ReportingPeriod, UnitRole

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


@contextlib.contextmanager
def database(kind: str, folder: Path):
    if kind == "sqlite":
        yield "sqlite:///" + str(folder / "tracker.sqlite")
    else:
        with postgres_database() as url:
            yield url


def install(folder: Path, url: str):
    folder.mkdir(parents=True, exist_ok=True)
    return create_app({"CONFIG": "testing", "SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(folder / "instance"),
                       "UPLOAD_FOLDER": str(folder / "shared-evidence")})


def populate(app) -> None:
    with app.app_context():
        upgrade()
        make = factories.Factory(db)
        people = make.people()
        plan = make.plan(supervisor=people.supervisor)
        measures = [m for m in plan.measures if m.level == 2]
        tasks = task_services.assign(plan, [m.id for m in measures], [people.unit.id, people.other_unit.id],
                                     role=UnitRole.lead, due_on=date(2026, 6, 30),
                                     reporting_period=ReportingPeriod.once, actor=people.supervisor, now=NOW)
        db.session.commit()
        task_services.add_evidence(tasks[0], actor=people.lead, files=[upload("落实情况报告.pdf"),
                                                                        upload("现场照片.png", PNG)], now=NOW)
        db.session.commit()
        notices = notice_services.issue_notices("2026-H1", actor=people.supervisor, now=NOW)
        db.session.commit()
        assert notices
        db.session.remove()
        db.engine.dispose()


def snapshot(app) -> tuple[dict[str, list], dict[str, bytes]]:
    """Every row of every table, and every stored file's bytes."""
    with app.app_context():
        import tracker.models  # noqa: F401

        tables = {}
        with db.engine.connect() as conn:
            for table in db.metadata.sorted_tables:
                order = list(table.primary_key.columns)
                tables[table.name] = [tuple(row) for row in conn.execute(sa.select(table).order_by(*order))]
        files = {}
        for name, folder in backup_services.folders().items():
            if folder.is_dir():
                for path in folder.rglob("*"):
                    if path.is_file():
                        files[f"{name}/{path.relative_to(folder).as_posix()}"] = path.read_bytes()
        db.engine.dispose()
    return tables, files


@pytest.mark.processes
@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_round_trip_into_an_empty_install(tmp_path, kind):
    with database(kind, tmp_path / "a") as source_url, database(kind, tmp_path / "b") as target_url:
        (tmp_path / "a").mkdir(exist_ok=True)
        source = install(tmp_path / "a", source_url)
        populate(source)
        before_tables, before_files = snapshot(source)
        assert before_tables["task"] and before_tables["evidence"] and before_tables["supervision_notice"]
        assert before_tables["outbox_email"] and before_tables["audit_entry"]
        assert {n.split("/")[0] for n in before_files} == {"evidence", "notices"}

        out = tmp_path / "backup"
        result = source.test_cli_runner().invoke(args=["backup", str(out)])
        assert result.exit_code == 0, result.output
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["database"]["kind"] == kind
        assert {f["path"] for f in manifest["files"]} == set(before_files)
        assert manifest["counts"]["task"] == len(before_tables["task"])

        target = install(tmp_path / "b", target_url)
        if kind == "postgresql":  # an install set up with `flask db upgrade`, no data yet
            with target.app_context():
                upgrade()
                db.engine.dispose()
        runner = target.test_cli_runner()
        result = runner.invoke(args=["restore", str(out)])
        assert result.exit_code == 0, result.output
        after_tables, after_files = snapshot(target)
        assert after_tables == before_tables
        assert after_files == before_files
        assert runner.invoke(args=["audit", "verify"]).exit_code == 0

        # the restored install works: the evidence downloads through the app
        with target.app_context():
            from tracker.tasks.models import Evidence

            evidence = db.session.scalars(sa.select(Evidence).order_by(Evidence.id)).first()
            lead_email = evidence.uploader.email
            evidence_id = evidence.id
            db.session.remove()
            client = target.test_client()
            assert client.post("/login", data={"email": lead_email, "password": factories.PASSWORD}).status_code == 302
            download = client.get(f"/tasks/evidence/{evidence_id}")
            assert download.status_code == 200 and download.data == PDF
            db.session.remove()
            db.engine.dispose()

        # a second restore into the now populated install is refused, unless forced
        refused = runner.invoke(args=["restore", str(out)])
        assert refused.exit_code != 0 and "本安装已有数据" in refused.output and "--force" in refused.output
        forced = runner.invoke(args=["restore", str(out), "--force"])
        assert forced.exit_code == 0, forced.output
        assert snapshot(target)[0] == before_tables


def test_tampered_or_incomplete_backup_is_refused_and_changes_nothing(tmp_path):
    source = install(tmp_path / "a", "sqlite:///" + str(tmp_path / "a.sqlite"))
    populate(source)
    out = tmp_path / "backup"
    assert source.test_cli_runner().invoke(args=["backup", str(out)]).exit_code == 0
    target = install(tmp_path / "b", "sqlite:///" + str(tmp_path / "b.sqlite"))
    runner = target.test_cli_runner()
    evidence = next((out / "files" / "evidence").iterdir())
    original = evidence.read_bytes()
    evidence.write_bytes(original[:-1] + b"X")
    result = runner.invoke(args=["restore", str(out)])
    assert result.exit_code != 0 and "与清单不符" in result.output and evidence.name in result.output
    evidence.write_bytes(original)
    (out / "manifest.json").rename(out / "manifest.old")
    result = runner.invoke(args=["restore", str(out)])
    assert result.exit_code != 0 and "没有 manifest.json" in result.output
    assert not (tmp_path / "b" / "shared-evidence").exists() or not any((tmp_path / "b" / "shared-evidence").iterdir())
    assert not Path(tmp_path / "b.sqlite").exists() or snapshot(target)[0]["user"] == []


def test_backup_folder_that_cannot_be_written_or_is_not_empty(tmp_path):
    source = install(tmp_path / "a", "sqlite:///" + str(tmp_path / "a.sqlite"))
    populate(source)
    runner = source.test_cli_runner()
    (tmp_path / "a-file").write_text("x")
    result = runner.invoke(args=["backup", str(tmp_path / "a-file" / "backup")])
    assert result.exit_code != 0 and "无法写入" in result.output
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "something").write_text("x")
    result = runner.invoke(args=["backup", str(tmp_path / "used")])
    assert result.exit_code != 0 and "不是空的" in result.output
