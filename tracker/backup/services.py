"""A consistent copy of an installation and its restore.

``backup`` writes the database (SQLite's online backup API, or ``pg_dump``), then the file
folders (evidence, generated 督办单, imported plans, audit archives), then ``manifest.json`` with
every file's size and sha256; the manifest comes last, so a folder without one is not a backup.
``restore`` checks every size and hash before it touches anything, and restores only into an
empty installation unless forced.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from tracker import timeutil
from tracker.extensions import db

FORMAT = 1
MANIFEST = "manifest.json"


class BackupError(ValueError):
    """A backup or restore refused; the message is for the operator, nothing was changed."""


def folders() -> dict[str, Path]:
    """The installation's file folders, by the name they have in a backup."""
    config = current_app.config
    instance = Path(current_app.instance_path)
    return {
        "evidence": Path(config["UPLOAD_FOLDER"]),
        "notices": Path(config.get("NOTICE_FOLDER") or instance / "notices"),
        "plans": Path(config.get("PLAN_SOURCE_FOLDER") or instance / "plans"),
        "audit-archive": Path(config.get("AUDIT_ARCHIVE_FOLDER") or instance / "audit-archive"),
    }


def _kind() -> str:
    return db.engine.dialect.name


def _libpq_url() -> str:
    """The database URL as pg_dump and pg_restore take it (no SQLAlchemy driver name)."""
    return db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def row_counts() -> dict[str, int]:
    counts = {}
    with db.engine.connect() as conn:
        existing = set(sa.inspect(conn).get_table_names())
        for table in db.metadata.sorted_tables:
            if table.name in existing:
                counts[table.name] = conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
    return counts


def _writable_folder(path: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise BackupError(_("备份目录 %(path)s 无法写入：%(error)s", path=str(path), error=exc.strerror)) from exc


@dataclass
class BackupResult:
    folder: Path
    files: int
    bytes: int
    counts: dict[str, int]


def backup(dest: Path) -> BackupResult:
    """Write a backup into ``dest`` (new or empty)."""
    dest = Path(dest)
    if dest.exists() and not dest.is_dir():
        raise BackupError(_("%(path)s 不是目录。", path=str(dest)))
    if dest.exists() and any(dest.iterdir()):
        raise BackupError(_("备份目录 %(path)s 不是空的，请指定一个新目录。", path=str(dest)))
    _writable_folder(dest)
    db.session.remove()
    counts = row_counts()
    try:
        if _kind() == "sqlite":
            database = dest / "database.sqlite"
            _copy_sqlite(db.engine.url.database, database)
        elif _kind() == "postgresql":
            database = dest / "database.pgdump"
            _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(database),
                  "--dbname", _libpq_url()])
        else:
            raise BackupError(_("不支持的数据库：%(kind)s", kind=_kind()))
        files = []
        for name, folder in folders().items():
            if not folder.is_dir():
                continue
            for source_path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.endswith(".part")):
                relative = Path(name) / source_path.relative_to(folder)
                target_path = dest / "files" / relative
                target_path.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source_path, target_path)
                files.append({"path": relative.as_posix(), "size": target_path.stat().st_size,
                              "sha256": sha256_of(target_path)})
        manifest = {
            "format": FORMAT, "app": "duban", "created_at": timeutil.utcnow().isoformat(timespec="seconds"),
            "database": {"kind": _kind(), "file": database.name, "size": database.stat().st_size,
                         "sha256": sha256_of(database), "revision": _revision()},
            "counts": counts, "files": files,
        }
        partial = dest / (MANIFEST + ".part")
        partial.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(partial, dest / MANIFEST)
    except OSError as exc:
        raise BackupError(_("备份目录 %(path)s 无法写入：%(error)s", path=str(dest), error=exc.strerror)) from exc
    return BackupResult(dest, len(files), sum(f["size"] for f in files) + manifest["database"]["size"], counts)


def _revision() -> str | None:
    with db.engine.connect() as conn:
        if "alembic_version" not in sa.inspect(conn).get_table_names():
            return None
        return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def _copy_sqlite(source_path: str | Path, target_path: str | Path) -> None:
    """Copy one SQLite database onto another with SQLite's online backup (consistent while in use)."""
    source = sqlite3.connect(source_path)
    target = sqlite3.connect(target_path)
    try:
        with target:
            source.backup(target)
    finally:
        target.close()
        source.close()


def _run(args: list[str]) -> None:
    try:
        result = subprocess.run(args, capture_output=True, text=True, timeout=3600)
    except FileNotFoundError as exc:
        raise BackupError(_("找不到 %(tool)s，请安装 PostgreSQL 客户端工具。", tool=args[0])) from exc
    if result.returncode != 0:
        raise BackupError(f"{args[0]}: {result.stderr.strip()[:2000]}")


def read_manifest(src: Path) -> dict[str, Any]:
    """The manifest, after checking that every file it lists is there with its size and hash."""
    src = Path(src)
    try:
        manifest = json.loads((src / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise BackupError(_("%(path)s 中没有 manifest.json，不是完整的备份。", path=str(src))) from exc
    except (OSError, ValueError) as exc:
        raise BackupError(_("无法读取 %(path)s 的 manifest.json。", path=str(src))) from exc
    if manifest.get("format") != FORMAT or manifest.get("app") != "duban":
        raise BackupError(_("不是本系统可识别的备份格式。"))
    listed = [(manifest["database"]["file"], manifest["database"])]
    listed += [(str(Path("files") / f["path"]), f) for f in manifest["files"]]
    problems = []
    for relative, entry in listed:
        path = src / relative
        if ".." in Path(relative).parts or not path.is_file():
            problems.append(_("缺少文件 %(name)s", name=relative))
        elif path.stat().st_size != entry["size"] or sha256_of(path) != entry["sha256"]:
            problems.append(_("文件 %(name)s 与清单不符（大小或校验值）", name=relative))
    if problems:
        raise BackupError(_("备份校验失败，未做任何恢复：") + "；".join(problems[:20]))
    return manifest


#: tables a fresh install fills by itself (``flask db upgrade`` records the install time there)
SETUP_TABLES = frozenset({"app_meta"})


def is_empty_install() -> bool:
    """No rows in any table but those a fresh install writes itself (the schema may be there:
    ``flask db upgrade``), and no stored files."""
    counts = row_counts()
    if any(count for name, count in counts.items() if name not in SETUP_TABLES):
        return False
    return not any(folder.is_dir() and any(p.is_file() for p in folder.rglob("*")) for folder in folders().values())


def restore(src: Path, *, force: bool = False) -> dict[str, int]:
    """Restore a backup into this installation; the row counts after it."""
    src = Path(src)
    manifest = read_manifest(src)
    kind = manifest["database"]["kind"]
    if kind != _kind():
        raise BackupError(_("备份来自 %(source)s 数据库，本安装使用 %(target)s，不能直接恢复。", source=kind,
                            target=_kind()))
    if not force and not is_empty_install():
        raise BackupError(_("本安装已有数据，未恢复。确需覆盖现有数据时，请加 --force。"))
    targets = folders()
    for name in {Path(f["path"]).parts[0] for f in manifest["files"]}:
        if name not in targets:
            raise BackupError(_("备份中有未知的目录 %(name)s。", name=name))
        _writable_folder(targets[name])
    database = src / manifest["database"]["file"]
    db.session.remove()
    if kind == "sqlite":
        path = db.engine.url.database
        db.engine.dispose()
        _copy_sqlite(database, path)
    else:
        db.engine.dispose()
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
              "--dbname", _libpq_url(), str(database)])
    for entry in manifest["files"]:
        name, *rest = Path(entry["path"]).parts
        target_path = targets[name].joinpath(*rest)
        target_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src / "files" / entry["path"], target_path)
    db.engine.dispose()
    counts = row_counts()
    expected = manifest["counts"]
    if any(counts.get(name) != count for name, count in expected.items()):
        raise BackupError(_("恢复后的数据行数与备份清单不符，请检查。"))
    return counts
