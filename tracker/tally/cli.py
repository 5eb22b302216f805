"""``flask tally``: recount or check the task tally."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from tracker.extensions import db
from tracker.tally import services

tally_cli = AppGroup("tally", help="The task tally behind the dashboard.")


@tally_cli.command("rebuild")
def rebuild() -> None:
    """Recount the tally from the tasks (after a restore, or a change of WARNING_DAYS)."""
    rows = services.rebuild(db.session.connection())
    db.session.commit()
    click.echo(f"task tally rebuilt: {rows} rows")


@tally_cli.command("check")
def check() -> None:
    """Compare the tally with a recount from the tasks; exit 1 when they differ."""
    problems = services.differences(db.session.connection())
    for line in problems[:20]:
        click.echo(line)
    if problems:
        raise SystemExit(1)
    click.echo("task tally matches the tasks")
