"""scripts/api_demo.py against a real HTTP server in a thread, with tokens made by the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from tracker.tasks.models import Evidence, Task, TaskState

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "api_demo.py"


def _token(runner, email: str) -> str:
    result = runner.invoke(args=["tokens", "create", email, "--name", "演示脚本"])
    assert result.exit_code == 0, result.output
    return result.output.strip()


def test_demo_script_runs_the_whole_loop(server, runner, db, people):
    supervisor, lead = _token(runner, people.supervisor.email), _token(runner, people.lead.email)
    completed = subprocess.run(
        [sys.executable, str(SCRIPT), "--base-url", server, "--supervisor-token", supervisor,
         "--lead-token", lead, "--units", f"{people.unit.code},{people.other_unit.code}"],
        capture_output=True, text=True, timeout=180, cwd=ROOT)
    assert completed.returncode == 0, completed.stderr + completed.stdout
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    assert result["state"] == "completed" and len(result["tasks"]) == 2
    db.session.expire_all()
    task = db.session.get(Task, result["task_id"])
    assert task.state is TaskState.completed and task.unit_id == people.unit.id
    [evidence] = db.session.scalars(sa.select(Evidence).where(Evidence.task_id == task.id))
    assert evidence.original_name == "落实情况佐证.pdf"
    other = db.session.get(Task, next(t for t in result["tasks"] if t != task.id))
    assert other.unit_id == people.other_unit.id and other.state is TaskState.assigned


def test_demo_script_reports_api_errors(server, runner, people):
    completed = subprocess.run(
        [sys.executable, str(SCRIPT), "--base-url", server, "--supervisor-token", "dbn_invalid",
         "--lead-token", "dbn_invalid", "--units", "a,b"], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert completed.returncode == 1
    assert "401" in completed.stderr
