"""Personal tokens: only the hash is kept, revocation and deactivation act at once, no cookies."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib import error, request

import sqlalchemy as sa

from tests.api.conftest import Api, make_token
from tracker.api import auth as api_auth
from tracker.api.models import ApiToken
from tracker.db import utcnow


def test_only_the_hash_is_stored(db, people):
    secret = make_token(db, people.lead)
    token = db.session.scalar(sa.select(ApiToken))
    assert token.token_hash == api_auth.hash_secret(secret) and secret not in (token.token_hash, token.prefix)
    assert secret.startswith(token.prefix)


def test_no_token_or_bad_token_is_401(app, db, people):
    for secret in (None, "dbn_wrong"):
        response = Api(app, secret).get("/tasks")
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "unauthorized"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    basic = app.test_client().get("/api/v1/tasks", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert basic.status_code == 401


def test_revoked_token_stops_at_once(app, db, people):
    secret = make_token(db, people.lead)
    api = Api(app, secret)
    assert api.get("/tasks").status_code == 200
    token = db.session.scalar(sa.select(ApiToken))
    api_auth.revoke_token(token, actor=people.lead, now=utcnow())
    db.session.commit()
    assert api.get("/tasks").status_code == 401


def test_inactive_user_and_expired_token_fail(app, db, people):
    api = Api(app, make_token(db, people.member))
    assert api.get("/units").status_code == 200
    people.member.is_active = False
    db.session.commit()
    assert api.get("/units").status_code == 401

    _token, secret = api_auth.create_token(people.lead, "短期", actor=people.lead, now=utcnow() - timedelta(days=2),
                                           expires_at=utcnow() - timedelta(days=1))
    db.session.commit()
    assert Api(app, secret).get("/units").status_code == 401


def test_token_requests_set_no_cookie_and_ignore_sessions(app, auth, db, people):
    api = Api(app, make_token(db, people.lead))
    response = api.get("/tasks")
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    # a signed-in browser without a token gets nothing from the API: cookies are not credentials here
    browser = auth.client_for(people.supervisor)
    assert browser.get("/api/v1/tasks").status_code == 401


def test_last_used_is_recorded(app, db, people):
    api = Api(app, make_token(db, people.lead))
    api.get("/units")
    token = db.session.scalar(sa.select(ApiToken))
    db.session.refresh(token)
    assert token.last_used_at is not None


def test_cli_creates_lists_and_revokes(app, runner, db, people):
    result = runner.invoke(args=["tokens", "create", people.lead.email, "--name", "OA 对接"])
    assert result.exit_code == 0, result.output
    secret = result.output.strip()
    api = Api(app, secret)
    assert api.get("/tasks").status_code == 200
    listed = runner.invoke(args=["tokens", "list", people.lead.email])
    assert "OA 对接" in listed.output and secret not in listed.output
    token = db.session.scalar(sa.select(ApiToken))
    assert runner.invoke(args=["tokens", "revoke", str(token.id)]).exit_code == 0
    assert api.get("/tasks").status_code == 401
    assert runner.invoke(args=["tokens", "create", "nobody@example.cn"]).exit_code != 0


def test_token_page_create_shows_secret_once_and_revoke(app, auth, db, people):
    client = auth.client_for(people.lead)
    assert client.get("/account/tokens").status_code == 200
    response = client.post("/account/tokens", data={"name": "值班脚本", "expires_on": ""})
    assert response.status_code == 200
    token = db.session.scalar(sa.select(ApiToken))
    page = response.get_data(as_text=True)
    secret = page.split('id="new-token">', 1)[1].split("<", 1)[0]
    assert api_auth.hash_secret(secret) == token.token_hash
    again = client.get("/account/tokens").get_data(as_text=True)
    assert "值班脚本" in again and secret not in again
    assert Api(app, secret).get("/units").status_code == 200

    assert client.post("/account/tokens", data={"name": ""}).status_code == 422
    # another user cannot revoke it
    other = auth.client_for(people.other_lead)
    assert other.post(f"/account/tokens/{token.id}/revoke").status_code == 404
    assert Api(app, secret).get("/units").status_code == 200
    assert client.post(f"/account/tokens/{token.id}/revoke").status_code == 302
    assert Api(app, secret).get("/units").status_code == 401


def test_token_page_needs_sign_in(client):
    assert client.get("/account/tokens").status_code == 302


def _http_status(url: str, secret: str) -> int:
    req = request.Request(url, headers={"Authorization": f"Bearer {secret}"})
    try:
        with request.urlopen(req, timeout=30) as response:
            json.loads(response.read())
            return response.status
    except error.HTTPError as exc:
        return exc.code


def test_revocation_acts_on_the_next_request_over_http(server, db, people):
    """Over a real server: no per-process cache keeps a revoked token alive."""
    secret = make_token(db, people.lead)
    url = server + "/api/v1/units"
    assert _http_status(url, secret) == 200
    token = db.session.scalar(sa.select(ApiToken))
    api_auth.revoke_token(token, actor=people.lead, now=utcnow())
    db.session.commit()
    assert _http_status(url, secret) == 401
