"""``flask tokens``: personal API tokens for scripts, made by an operator."""

from __future__ import annotations

from datetime import date

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from tracker import timeutil
from tracker.api import auth as api_auth
from tracker.api.models import ApiToken
from tracker.auth.models import User
from tracker.db import utcnow
from tracker.errors import cli_errors
from tracker.extensions import db

tokens_cli = AppGroup("tokens", help="Personal API tokens.")


def _user(email: str) -> User:
    user = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise click.ClickException(f"unknown user: {email}")
    return user


@tokens_cli.command("create")
@click.argument("email")
@click.option("--name", default="cli", show_default=True, help="what the token is for")
@click.option("--expires", "expires_on", default=None, help="last valid day, YYYY-MM-DD")
def create(email: str, name: str, expires_on: str | None) -> None:
    """Create a token for EMAIL and print it once (only its hash is kept)."""
    user = _user(email)
    if not user.is_active:
        raise click.ClickException(f"user is inactive: {email}")
    expires_at = None
    if expires_on:
        try:
            expires_at = timeutil.end_of_day_utc(date.fromisoformat(expires_on))
        except ValueError as exc:
            raise click.ClickException("--expires must be YYYY-MM-DD") from exc
    with cli_errors(api_auth.TokenError):
        _token, secret = api_auth.create_token(user, name, actor=None, now=utcnow(), expires_at=expires_at)
    db.session.commit()
    click.echo(secret)


@tokens_cli.command("list")
@click.argument("email")
def list_tokens(email: str) -> None:
    """The tokens of EMAIL: id, prefix, name, state."""
    for token in api_auth.tokens_of(_user(email)):
        state = "revoked" if token.revoked_at else "active"
        click.echo(f"{token.id}\t{token.prefix}…\t{token.name}\t{state}")


@tokens_cli.command("revoke")
@click.argument("token_id", type=int)
def revoke(token_id: int) -> None:
    """Revoke a token by id at once."""
    token = db.session.get(ApiToken, token_id)
    if token is None:
        raise click.ClickException(f"unknown token: {token_id}")
    api_auth.revoke_token(token, actor=None, now=utcnow())
    db.session.commit()
    click.echo(f"revoked token {token_id}")
