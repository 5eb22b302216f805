"""Loopback fakes of the 企业微信 and 钉钉 group robots and of an SMS gateway.

Each speaks its real format: the robots take ``{"msgtype": "text", "text": {"content": …}}`` and
answer ``{"errcode": 0, "errmsg": "ok"}``; the 钉钉 fake checks ``timestamp`` and ``sign`` the way
钉钉 does (HmacSHA256 of "timestamp\\nsecret", Base64, URL-encoded; within an hour of its clock).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import urllib.parse
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Fake:
    """What the fakes received, and how they answer: ``mode`` is "ok", "500", "400", "busy"
    (a transient errcode), "bad" (a permanent errcode) or "hang" (no answer in time)."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.mode = "ok"
        #: answer the next N requests with ``mode``, then "ok" (None: always)
        self.fail_count: int | None = None
        self.secret: str | None = None
        #: the robot's clock for the 钉钉 signature window
        self.clock: datetime | None = None
        self.lock = threading.Lock()

    def take_mode(self) -> str:
        with self.lock:
            mode = self.mode
            if mode != "ok" and self.fail_count is not None:
                self.fail_count -= 1
                if self.fail_count <= 0:
                    self.mode = "ok"
            return mode


def _handler(fake: Fake):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def _answer(self, status: int, body: dict | str) -> None:
            data = (json.dumps(body) if isinstance(body, dict) else body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            parts = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(parts.query))
            mode = fake.take_mode()
            if mode == "hang":
                time.sleep(3)
                return self._answer(200, {"errcode": 0, "errmsg": "ok"})
            if mode == "500":
                return self._answer(502, "bad gateway")
            if mode == "400":
                return self._answer(400, "bad request")
            robot = parts.path.rsplit("/", 1)[-1]
            if robot == "sms":
                fake.received.append({"path": parts.path, "content_type": self.headers["Content-Type"],
                                      "body": json.loads(raw.decode("utf-8"))})
                return self._answer(200, {"code": "OK"})
            body = json.loads(raw.decode("utf-8"))
            if body.get("msgtype") not in ("text", "markdown") or not body.get(body["msgtype"], {}).get("content"):
                return self._answer(200, {"errcode": 40008, "errmsg": "invalid message type"})
            if robot == "dingtalk" and fake.secret:
                timestamp, sign = query.get("timestamp", ""), query.get("sign", "")
                expected = base64.b64encode(hmac.new(fake.secret.encode(), f"{timestamp}\n{fake.secret}".encode(),
                                                     hashlib.sha256).digest()).decode()
                clock = (fake.clock or datetime.now()).timestamp() * 1000
                if sign != expected or not timestamp.isdigit() or abs(int(timestamp) - clock) > 3600_000:
                    return self._answer(200, {"errcode": 310000, "errmsg": "sign not match"})
            if mode == "busy":
                code = 130101 if robot == "dingtalk" else 45009
                return self._answer(200, {"errcode": code, "errmsg": "send too fast"})
            if mode == "bad":
                return self._answer(200, {"errcode": 300001 if robot == "dingtalk" else 93000,
                                          "errmsg": "invalid webhook"})
            fake.received.append({"path": parts.path, "query": query, "body": body,
                                  "content_type": self.headers["Content-Type"]})
            return self._answer(200, {"errcode": 0, "errmsg": "ok"})

    return Handler


class RobotServer:
    def __init__(self) -> None:
        self.fake = Fake()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.fake))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> RobotServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
