"""Operator commands: ``flask users``, ``flask units``, ``flask demo``, and the groups of the features."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import AppGroup

from tracker import conformance
from tracker.api import cli as api_cli
from tracker.auditlog import cli as audit_cli
from tracker.auth import services as account_services
from tracker.auth.models import Role, User
from tracker.backup import cli as backup_cli
from tracker.db import utcnow
from tracker.errors import cli_errors
from tracker.extensions import db
from tracker.notices import cli as notice_cli
from tracker.notify import cli as notify_cli
from tracker.tally import cli as tally_cli
from tracker.units import services as unit_services
from tracker.units.models import Unit

users_cli = AppGroup("users", help="Manage user accounts.")
units_cli = AppGroup("units", help="Manage the unit tree.")
demo_cli = AppGroup("demo", help="Demo data.")


@users_cli.command("create")
@click.argument("email")
@click.option("--name", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--unit", "unit_code", default=None, help="unit code")
@click.option("--password-stdin", is_flag=True, help="read the password from standard input")
def create_user(email: str, name: str, role: str, unit_code: str | None, password_stdin: bool) -> None:
    """Create a user; the password comes from a prompt, or stdin when piped."""
    unit = None
    if unit_code:
        unit = db.session.scalar(sa.select(Unit).where(Unit.code == unit_code))
        if unit is None:
            raise click.ClickException(f"unknown unit code: {unit_code}")
    if password_stdin or not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    data = account_services.UserData(email=email, name=name, role=Role(role), unit_id=unit.id if unit else None)
    with cli_errors(account_services.AccountError):
        user = account_services.create_user(data, password, actor=None, now=utcnow())
    db.session.commit()
    click.echo(f"created user {user.id} {user.email} ({user.role.value})")


@users_cli.command("list")
def list_users() -> None:
    for user in db.session.scalars(sa.select(User).order_by(User.id)):
        unit = user.unit.code if user.unit else "-"
        click.echo(f"{user.id}\t{user.email}\t{user.name}\t{user.role.value}\t{unit}\t"
                   f"{'active' if user.is_active else 'inactive'}")


@units_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_units(file: Path) -> None:
    """Import units from .xlsx or .csv (columns 代码, 名称, 上级代码, 类型, 联系邮箱); all or nothing."""
    with cli_errors(unit_services.UnitError):
        rows = unit_services.read_rows(file.read_bytes(), file.name)
        units = unit_services.import_units(rows, actor=None, now=utcnow())
    db.session.commit()
    click.echo(f"imported {len(units)} units")


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True, help="only when the database has no users (first start)")
def load_demo(if_empty: bool) -> None:
    """Load the demo region, units and users; prints the passwords once."""
    from tracker import demo

    if if_empty and db.session.scalar(sa.select(sa.func.count()).select_from(User)):
        click.echo("database has users; demo data not loaded")
        return
    accounts = demo.load()
    db.session.commit()
    click.echo("Demo accounts (shown once; stored hashed):")
    for email, name, role, password in accounts:
        click.echo(f"  {role:<12} {email:<28} {password}   {name}")


def register(app: Flask) -> None:
    for group in (users_cli, units_cli, demo_cli, notify_cli.scheduler_cli, notify_cli.reminders_cli,
                  notify_cli.outbox_cli, notice_cli.notices_cli, api_cli.tokens_cli, conformance.documents_cli,
                  audit_cli.audit_cli, backup_cli.backup_command, backup_cli.restore_command,
                  tally_cli.tally_cli):
        app.cli.add_command(group)
