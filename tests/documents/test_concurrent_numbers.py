"""Numbers without gaps or repeats when processes issue at the same time: the second waits for the
first (the series' counter row is locked before anything is read), then issues what is left, and
exits cleanly instead of failing with an IntegrityError."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from tracker.notices.models import DocumentCounter, NoticeKind, SupervisionNotice

ROOT = Path(__file__).resolve().parents[2]


def _start(app, tmp_path: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "FLASK_APP": "wsgi", "TRACKER_CONFIG": "testing",
           "TRACKER_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "TRACKER_INSTANCE_PATH": str(tmp_path / "instance"), "TRACKER_SECRET_KEY": "concurrent-test"}
    return subprocess.Popen([sys.executable, "-m", "flask", "notices", "issue", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_processes_issuing_at_once_take_numbers_without_gaps(db, app, people, make, make_task, tmp_path):
    units = [make.unit(f"第{i + 1}街道", parent=people.region) for i in range(24)]
    for unit in units:
        make_task(unit, date(2026, 12, 20), text="推进社区服务中心建设。", supervisor=people.supervisor)
    db.session.commit()
    # two issue the first half at once, a third the second half (the same series and year)
    runs = [_start(app, tmp_path, "--period", "2026-H1", "--now", "2026-03-02T10:00"),
            _start(app, tmp_path, "--period", "2026-H1", "--now", "2026-03-02T10:00"),
            _start(app, tmp_path, "--period", "2026-H2", "--now", "2026-07-06T10:00")]
    outputs = [run.communicate(timeout=240) for run in runs]
    for run, (_out, err) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, err
        assert "Traceback" not in err and "IntegrityError" not in err, err
    issued = [int(out.strip().splitlines()[-1].split()[1]) for out, _err in outputs]
    # the two H1 runs share the units between them, each unit once; H2 gives every unit one more
    assert issued[0] + issued[1] == len(units) and issued[2] == len(units)
    db.session.expire_all()
    notices = list(db.session.scalars(
        sa.select(SupervisionNotice).where(SupervisionNotice.kind == NoticeKind.supervision)))
    assert sorted(n.serial for n in notices) == list(range(1, 2 * len(units) + 1))
    for period in ("2026-H1", "2026-H2"):
        assert sorted(n.unit_id for n in notices if n.period_key == period) == sorted(u.id for u in units)
    assert db.session.get(DocumentCounter, ("supervision", 2026)).last_serial == 2 * len(units)
