"""Group robots (企业微信, 钉钉) and an SMS gateway over HTTP: payloads, the 钉钉 signature, answers.

The formats are the vendors' own:

* 企业微信 group robot: ``POST <webhook>?key=…`` with ``{"msgtype": "text", "text": {"content": …}}``
  (content at most 2048 bytes); the answer is ``{"errcode": 0, "errmsg": "ok"}``.
* 钉钉 custom robot: ``POST <webhook>?access_token=…`` with ``{"msgtype": "text", "text": {"content": …}}``;
  with 加签 the URL also carries ``timestamp`` (milliseconds) and ``sign``: HmacSHA256 of
  ``"<timestamp>\\n<secret>"`` keyed by the secret, Base64, then URL-encoded. Answer ``{"errcode": 0}``.
* SMS: any gateway that takes an HTTP POST; ``SMS_GATEWAY_URL`` and ``SMS_BODY_TEMPLATE`` (with
  ``{phone}`` and ``{text}``) say how. A 2xx answer is a sent message.

A send either returns, or raises ``TemporaryFailure`` (5xx, 429, timeouts, a robot's "busy" or
"too fast" errcode: try again later) or ``PermanentFailure`` (4xx, any other errcode: give up).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime, time, timedelta
from typing import Any

from flask import current_app

from tracker import timeutil
from tracker.notify.models import Channel

#: 企业微信: -1 system busy, 45009 over the robot's rate (20 a minute), 45033 too many at once
WECOM_TRANSIENT = frozenset({-1, 45009, 45033})
#: 钉钉: -1 system busy, 130101 sending too fast, 130102 too many requests
DINGTALK_TRANSIENT = frozenset({-1, 130101, 130102})
#: 企业微信 cuts text content at 2048 bytes
WECOM_TEXT_BYTES = 2048
ROBOT_KINDS = (Channel.wecom.value, Channel.dingtalk.value)


class TemporaryFailure(Exception):
    """Try again later."""


class PermanentFailure(Exception):
    """Do not try again."""


def cut_bytes(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` UTF-8 bytes, never in the middle of a character."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[:limit - 3].decode("utf-8", errors="ignore") + "…"


def robot_body(text: str) -> dict[str, Any]:
    """The text message both robots take."""
    return {"msgtype": "text", "text": {"content": cut_bytes(text, WECOM_TEXT_BYTES)}}


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """钉钉 加签: Base64 of HmacSHA256(secret, "timestamp\\nsecret"), URL-encoded."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest))


def dingtalk_url(url: str, secret: str | None, now: datetime) -> str:
    """The webhook with ``timestamp`` and ``sign`` added when the robot is signed."""
    if not secret:
        return url
    timestamp_ms = int(now.timestamp() * 1000)
    separator = "&" if urllib.parse.urlsplit(url).query else "?"
    return f"{url}{separator}timestamp={timestamp_ms}&sign={dingtalk_sign(secret, timestamp_ms)}"


def sms_request(phone: str, text: str) -> tuple[str, bytes, str]:
    """The gateway's URL, the body from ``SMS_BODY_TEMPLATE`` and its content type.

    Each value is escaped for the body's type: JSON string escapes, or form URL-encoding."""
    config = current_app.config
    url = config.get("SMS_GATEWAY_URL") or ""
    template = config.get("SMS_BODY_TEMPLATE") or '{"phone": "{phone}", "text": "{text}"}'
    content_type = config.get("SMS_CONTENT_TYPE") or "application/json"
    if "json" in content_type:
        def escape(value: str) -> str:
            return json.dumps(value, ensure_ascii=False)[1:-1]
    else:
        def escape(value: str) -> str:
            return urllib.parse.quote_plus(value)
    body = template.replace("{phone}", escape(phone)).replace("{text}", escape(text))
    return url, body.encode("utf-8"), f"{content_type}; charset=utf-8"


def post(url: str, body: bytes, content_type: str) -> tuple[int, bytes]:
    """POST and return (status, body); a timeout or a refused connection is a temporary failure."""
    timeout = float(current_app.config.get("CHANNEL_TIMEOUT") or 10)
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (https or configured)
            return response.status, response.read(65536)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(65536) if exc.fp else b""
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
        raise TemporaryFailure(f"no answer: {exc!r}") from exc


def _http_outcome(status: int, body: bytes) -> None:
    if status == 429 or status >= 500:
        raise TemporaryFailure(f"HTTP {status}: {body[:200]!r}")
    if status >= 400:
        raise PermanentFailure(f"HTTP {status}: {body[:200]!r}")


def _robot_outcome(status: int, body: bytes, transient: frozenset[int]) -> None:
    _http_outcome(status, body)
    try:
        answer = json.loads(body.decode("utf-8"))
        errcode = int(answer.get("errcode"))
    except (ValueError, TypeError, AttributeError, UnicodeDecodeError) as exc:
        raise TemporaryFailure(f"HTTP {status}, not a robot's answer: {body[:200]!r}") from exc
    if errcode == 0:
        return
    message = f"errcode {errcode}: {answer.get('errmsg', '')}"
    raise TemporaryFailure(message) if errcode in transient else PermanentFailure(message)


def deliver(channel: Channel, unit: Any, text: str, *, now: datetime) -> None:
    """Send ``text`` to ``unit``'s robot or phone over ``channel``; raises on failure."""
    if unit is None:
        raise PermanentFailure("the unit is gone")
    if channel is Channel.sms:
        if not unit.sms_phone:
            raise PermanentFailure("the unit has no phone number")
        url, body, content_type = sms_request(unit.sms_phone, text)
        if not url:
            raise TemporaryFailure("SMS_GATEWAY_URL is not set")
        _http_outcome(*post(url, body, content_type))
        return
    if unit.robot_kind != channel.value or not unit.robot_url:
        raise PermanentFailure("the unit has no such robot")
    payload = json.dumps(robot_body(text), ensure_ascii=False).encode("utf-8")
    if channel is Channel.dingtalk:
        status, answer = post(dingtalk_url(unit.robot_url, unit.robot_secret, now), payload,
                              "application/json; charset=utf-8")
        _robot_outcome(status, answer, DINGTALK_TRANSIENT)
    else:
        status, answer = post(unit.robot_url, payload, "application/json; charset=utf-8")
        _robot_outcome(status, answer, WECOM_TRANSIENT)


# --- who gets what, and when -------------------------------------------------------------------

def unit_channels(unit: Any) -> list[Channel]:
    """The channels a unit has configured, besides its people's email."""
    found = []
    if unit is not None and unit.robot_url and unit.robot_kind in ROBOT_KINDS:
        found.append(Channel(unit.robot_kind))
    if unit is not None and unit.sms_phone:
        found.append(Channel.sms)
    return found


def mask(value: str | None, keep: int = 4) -> str:
    """A secret or an address shown with only its last ``keep`` characters."""
    if not value:
        return ""
    return "•" * min(max(len(value) - keep, 0), 8) + value[-keep:]


def mask_url(url: str | None) -> str:
    """A webhook address without its key: host and path, the query's values masked."""
    if not url:
        return ""
    parts = urllib.parse.urlsplit(url)
    query = "&".join(f"{k}={mask(v)}" for k, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def address_label(channel: Channel, unit: Any) -> str:
    """What the outbox page shows as the address of a channel row: never a key or a full number."""
    if channel is Channel.sms:
        return mask(unit.sms_phone if unit is not None else "")
    return mask_url(unit.robot_url if unit is not None else "")


def _clock(value: str, default: time) -> time:
    try:
        hour, _sep, minute = (value or "").strip().partition(":")
        return time(int(hour), int(minute or 0))
    except ValueError:
        return default


def quiet_hours() -> tuple[time, time] | None:
    """SMS_QUIET_HOURS "22:00-07:00" (local); None when empty."""
    text = (current_app.config.get("SMS_QUIET_HOURS") or "").strip()
    if not text:
        return None
    start, _sep, end = text.partition("-")
    return _clock(start, time(22)), _clock(end, time(7))


def quiet_until(now: datetime) -> datetime | None:
    """When ``now`` falls in the SMS quiet hours, the instant they end (UTC); else None."""
    hours = quiet_hours()
    if hours is None:
        return None
    start, end = hours
    local = now.astimezone(timeutil.local_tz())
    clock = local.time()
    inside = (start <= clock or clock < end) if start > end else (start <= clock < end)
    if not inside:
        return None
    day = local.date() if clock < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=timeutil.local_tz()).astimezone(UTC)
