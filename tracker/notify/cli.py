"""``flask scheduler run``, ``flask reminders run``, ``flask outbox send|list``."""

from __future__ import annotations

import logging
import signal

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from tracker import timeutil
from tracker.extensions import db
from tracker.notify import dispatch, jobs, services
from tracker.notify.models import OutboxEmail, OutboxStatus

scheduler_cli = AppGroup("scheduler", help="The reminder and outbox scheduler.")
reminders_cli = AppGroup("reminders", help="Reminder sweeps.")
outbox_cli = AppGroup("outbox", help="The email outbox.")


def _now(value: str | None):
    return timeutil.parse_iso(value) if value else timeutil.utcnow()


@scheduler_cli.command("run")
def run_scheduler() -> None:
    """Run the scheduler in the foreground (one per installation; a second one waits for the lease)."""
    from tracker.notify.scheduler import build_scheduler

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = current_app._get_current_object()
    scheduler = build_scheduler(app)
    # a service manager's stop (SIGTERM) ends the loop so the lease is handed back at once
    def stop(*_args) -> None:
        if scheduler.running:
            scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    click.echo(f"scheduler {scheduler.holder} started; jobs: {', '.join(j.id for j in scheduler.get_jobs())}")
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        with app.app_context():
            jobs.release_lease(scheduler.holder)


@reminders_cli.command("run")
@click.option("--now", "now_text", default=None, help="ISO date/time to sweep at (local time when naive)")
def run_reminders(now_text: str | None) -> None:
    """One reminder sweep; prints what it queued."""
    result = services.run_reminders(now=_now(now_text))
    db.session.commit()
    click.echo(f"reminders: {result}")


@outbox_cli.command("send")
@click.option("--limit", default=100, show_default=True)
def send(limit: int) -> None:
    """Send due outbox messages now (email, and the units' robots and SMS)."""
    result = dispatch.send_pending(now=timeutil.utcnow(), limit=limit)
    if result.disabled:
        click.echo("MAIL_SERVER is not configured; email stays in the outbox")
    click.echo(f"sent={result.sent} retried={result.retried} failed={result.failed}")


@outbox_cli.command("list")
@click.option("--status", type=click.Choice([s.value for s in OutboxStatus]), default=None)
@click.option("--stuck", is_flag=True, help="only messages claimed but never marked (in doubt)")
@click.option("--limit", default=50, show_default=True)
def list_outbox(status: str | None, stuck: bool, limit: int) -> None:
    if stuck:
        rows = services.stuck(timeutil.utcnow())
    else:
        query = sa.select(OutboxEmail).order_by(OutboxEmail.id.desc()).limit(limit)
        if status:
            query = query.where(OutboxEmail.status == OutboxStatus(status))
        rows = list(db.session.scalars(query))
    for row in rows:
        click.echo(f"{row.id}\t{row.status.value}\t{row.channel.value}\t{row.attempts}\t{row.to_addr}\t{row.kind}"
                   f"\t{row.subject}")
    click.echo(f"{len(rows)} message(s)")
