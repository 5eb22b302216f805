"""``flask notices issue --period 2026-H1 [--unit CODE]``."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from tracker import timeutil
from tracker.db import retry_on_conflict
from tracker.errors import cli_errors
from tracker.extensions import db
from tracker.notices import services
from tracker.units.models import Unit

notices_cli = AppGroup("notices", help="Supervision notices (督办单).")


@notices_cli.command("issue")
@click.option("--period", required=True, help="e.g. 2026-H1")
@click.option("--unit", "unit_code", default=None, help="only this unit (code)")
@click.option("--now", "now_text", default=None, help="ISO date/time of issue (local time when naive)")
@click.option("--supplement", is_flag=True, help="补发督办单 for tasks assigned after the period's notice")
def issue(period: str, unit_code: str | None, now_text: str | None, supplement: bool) -> None:
    """Issue the half year's notices to units with open tasks; units that have theirs are skipped.
    Two processes issuing at once: the second waits for the first, then issues what is left."""
    unit_ids = None
    if unit_code:
        unit = db.session.scalar(sa.select(Unit).where(Unit.code == unit_code))
        if unit is None:
            raise click.ClickException(f"unknown unit code: {unit_code}")
        unit_ids = [unit.id]
    now = timeutil.parse_iso(now_text) if now_text else timeutil.utcnow()
    service = services.issue_supplements if supplement else services.issue_notices
    with cli_errors(services.NoticeError):
        notices = retry_on_conflict(lambda: service(period, unit_ids=unit_ids, now=now))
    for notice in notices:
        click.echo(f"{notice.number_label}\t{notice.unit.code}\t{notice.unit.name}\t{len(notice.items)} task(s)")
    click.echo(f"issued {len(notices)} notice(s)")
