"""Render the systemd units and the nginx site of this folder with an installation's settings.

    python deploy/render.py --env /etc/duban/duban.env --out /tmp/duban-deploy \\
        --app-dir /srv/duban --user duban --server-name duban.example.gov.cn \\
        --tls-cert /etc/ssl/duban.crt --tls-key /etc/ssl/duban.key

Paths, the upload limit and the X-Accel-Redirect prefix come from the environment file, so the
units, nginx and the app agree; ``{{NAME}}`` placeholders left unfilled are an error.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TEMPLATES = ("duban-web.service", "duban-scheduler.service", "duban-audit-archive.service",
             "duban-audit-archive.timer", "nginx-duban.conf")
PLACEHOLDER = re.compile(r"\{\{([A-Z_]+)\}\}")


def read_env_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _sep, value = line.partition("=")
            values[key.strip()] = value.strip().strip("'\"")
    return values


def settings(env_file: Path, **options: str) -> dict[str, str]:
    """Every placeholder's value: deployment options, then what the environment file says."""
    env = read_env_file(env_file)
    instance = env.get("TRACKER_INSTANCE_PATH") or str(Path(options["APP_DIR"]) / "instance")
    return {
        "ENV_FILE": str(env_file.resolve()),
        "INSTANCE_PATH": instance,
        "UPLOAD_FOLDER": (env.get("TRACKER_UPLOAD_FOLDER") or str(Path(instance) / "evidence")).rstrip("/"),
        "ACCEL_REDIRECT_PREFIX": "/" + (env.get("TRACKER_ACCEL_REDIRECT_PREFIX") or "/_protected/evidence/")
        .strip("/") + "/",
        "MAX_UPLOAD_MB": env.get("TRACKER_MAX_UPLOAD_MB") or "200",
        "AUDIT_ARCHIVE_FOLDER": env.get("TRACKER_AUDIT_ARCHIVE_FOLDER") or str(Path(instance) / "audit-archive"),
        **options,
    }


def render(text: str, values: dict[str, str]) -> str:
    missing = sorted({name for name in PLACEHOLDER.findall(text) if name not in values})
    if missing:
        raise KeyError(f"no value for {', '.join(missing)}")
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], text)


def render_all(out: Path, values: dict[str, str]) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in TEMPLATES:
        target = out / name
        target.write_text(render((HERE / name).read_text(encoding="utf-8"), values), encoding="utf-8")
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", type=Path, required=True, help="the environment file (from duban.env.example)")
    parser.add_argument("--out", type=Path, required=True, help="folder for the rendered files")
    parser.add_argument("--app-dir", required=True, help="the checkout, with .venv inside")
    parser.add_argument("--user", default="duban", help="the service account")
    parser.add_argument("--server-name", required=True)
    parser.add_argument("--tls-cert", required=True)
    parser.add_argument("--tls-key", required=True)
    parser.add_argument("--bind", default="127.0.0.1:8000", help="gunicorn's address, nginx's upstream")
    parser.add_argument("--workers", default="4")
    parser.add_argument("--http-port", default="80")
    parser.add_argument("--https-port", default="443")
    args = parser.parse_args(argv)
    values = settings(args.env, APP_DIR=str(Path(args.app_dir).resolve()), APP_USER=args.user,
                      SERVER_NAME=args.server_name, TLS_CERT=args.tls_cert, TLS_KEY=args.tls_key,
                      BIND=args.bind, WORKERS=str(args.workers), HTTP_PORT=str(args.http_port),
                      HTTPS_PORT=str(args.https_port))
    for path in render_all(args.out, values):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
