"""``flask audit verify``, ``flask audit archive``, ``flask audit verify-archive FILE``."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from tracker import timeutil
from tracker.auditlog import services
from tracker.errors import cli_errors
from tracker.extensions import db

audit_cli = AppGroup("audit", help="The audit log: chain check and retention.")


def _report(result: services.VerifyResult, what: str) -> None:
    for item in result.breaks[:100]:
        reason = "row changed (fields do not match its hash)" if item.reason == "changed" else \
            "chain broken (the row before it was removed, inserted or changed)"
        click.echo(f"BREAK {item.day} id={item.id}: {reason}")
    if len(result.breaks) > 100:
        click.echo(f"... and {len(result.breaks) - 100} more")
    if result.ok:
        click.echo(f"{what}: {result.rows} rows over {result.days} days, chain intact")
    else:
        raise click.ClickException(f"{what}: {len(result.breaks)} break(s) in {result.rows} rows")


@audit_cli.command("verify")
@click.option("--since", "since_day", default=None, help="first day to check, YYYY-MM-DD")
def verify(since_day: str | None) -> None:
    """Check every row's hash and link; exit status 1 and each break listed when the log was altered."""
    _report(services.verify(since_day=since_day), "audit log")


@audit_cli.command("archive")
@click.option("--days", type=int, default=None, help="retention in days (default AUDIT_RETENTION_DAYS)")
def archive(days: int | None) -> None:
    """Move rows older than the retention into a signed export in the archive folder."""
    with cli_errors(services.AuditLogError):
        result = services.archive_expired(now=timeutil.utcnow(), retention_days=days)
    db.session.commit()
    if result.rows:
        click.echo(f"archived {result.rows} rows ({result.first_day} to {result.last_day}) to {result.path}")
    else:
        click.echo("nothing older than the retention")


@audit_cli.command("verify-archive")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def verify_archive(file: Path) -> None:
    """Check an archive's signature and the chain inside it."""
    try:
        result = services.verify_archive(file)
    except services.AuditLogError as exc:
        raise click.ClickException(str(exc)) from exc
    _report(result, file.name)

