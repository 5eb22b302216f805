"""``flask backup DIR`` and ``flask restore DIR [--force]``."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext

from tracker.backup import services


@click.command("backup")
@click.argument("folder", type=click.Path(path_type=Path))
@with_appcontext
def backup_command(folder: Path) -> None:
    """Write a consistent copy of the database and the files to FOLDER (new or empty), with a manifest."""
    try:
        result = services.backup(folder)
    except services.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    rows = sum(result.counts.values())
    click.echo(f"backup written to {result.folder}: {rows} rows, {result.files} files, {result.bytes} bytes")


@click.command("restore")
@click.argument("folder", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("--force", is_flag=True, help="replace the data of an installation that is not empty")
@with_appcontext
def restore_command(folder: Path, force: bool) -> None:
    """Restore a backup from FOLDER after checking its manifest (into an empty installation)."""
    try:
        counts = services.restore(folder, force=force)
    except services.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"restored {sum(counts.values())} rows and the files from {folder}")

