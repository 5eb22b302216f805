"""``make run``: the development server with the scheduler beside it, in its own process.

Exactly one scheduler: it is a child process started here once (there is no reloader to start a
second), and it stops when the server stops.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys


def served_url(host: str, port: int) -> str:
    """The address a browser reaches the server at: a wildcard host means this machine."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


def main() -> int:
    parser = argparse.ArgumentParser(description="Serve Duban with its scheduler.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    args = parser.parse_args()

    from tracker import create_app

    # links in messages (also the scheduler's) point here unless TRACKER_BASE_URL says otherwise
    os.environ["TRACKER_SERVED_URL"] = served_url(args.host, args.port)
    app = create_app()
    env = dict(os.environ, FLASK_APP="wsgi")
    scheduler = subprocess.Popen([sys.executable, "-m", "flask", "scheduler", "run"], env=env)
    print(f"Duban on http://{args.host}:{args.port}/  (Ctrl-C stops the server and the scheduler)", flush=True)
    try:
        app.run(host=args.host, port=args.port, use_reloader=False, threaded=True)
    except OSError as exc:
        print(f"cannot serve on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    finally:
        if scheduler.poll() is None:
            scheduler.send_signal(signal.SIGTERM)
            try:
                scheduler.wait(15)
            except subprocess.TimeoutExpired:
                scheduler.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
