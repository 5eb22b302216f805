"""Each token has its own request budget; past it, 429 in the error envelope."""

from __future__ import annotations

import pytest


@pytest.fixture
def app_config(app_config):
    return {**app_config, "RATELIMIT_ENABLED": True, "API_RATE_LIMIT": "3 per minute"}


def test_limit_per_token(api_for, people):
    first, second = api_for(people.lead, "甲"), api_for(people.lead, "乙")
    for _ in range(3):
        assert first.get("/units").status_code == 200
    limited = first.get("/units")
    assert limited.status_code == 429
    assert limited.get_json()["error"]["code"] == "rate_limited"
    # another token of the same user has its own budget
    assert second.get("/units").status_code == 200


def test_document_is_not_limited(client):
    for _ in range(5):
        assert client.get("/api/openapi.json").status_code == 200
