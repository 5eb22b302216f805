"""Each one-task link, and each client address, has its own request budget; past it, 429."""

from __future__ import annotations

import pytest

from tests.links.test_links import hand_over, plan, token_in_mail  # noqa: F401  (fixtures)


@pytest.fixture
def app_config(app_config):
    return {**app_config, "RATELIMIT_ENABLED": True, "LINK_RATE_LIMIT": "3 per minute",
            "LINK_IP_RATE_LIMIT": "5 per minute"}


def test_each_token_and_each_address_is_rate_limited(db, people, hand_over, app):  # noqa: F811
    first, second = hand_over(0), hand_over(1)
    a, b = token_in_mail(db, people.lead, first), token_in_mail(db, people.lead, second)
    client = app.test_client()
    assert [client.get(f"/l/{a}").status_code for _ in range(3)] == [200, 200, 200]
    limited = client.get(f"/l/{a}")
    assert limited.status_code == 429 and "操作过于频繁" in limited.get_data(as_text=True)
    # another token has its own budget, until the address's budget (5) runs out
    assert [client.get(f"/l/{b}").status_code for _ in range(2)] == [200, 200]
    assert client.get(f"/l/{b}").status_code == 429
    # guessing tokens counts against the address too
    other = app.test_client()
    statuses = [other.get(f"/l/guess{n:040d}", environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code
                for n in range(6)]
    assert statuses == [404] * 5 + [429]
