"""The document matches the routes exactly, validates as OpenAPI, and has a human page."""

from __future__ import annotations

import re

import pytest

from tracker.api import openapi

METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


def _rule_to_path(rule: str) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule)


def test_document_and_url_map_agree_exactly(app, client):
    document = client.get("/api/openapi.json").get_json()
    documented = {(path, method.upper()) for path, ops in document["paths"].items() for method in ops}
    routed = {(_rule_to_path(rule.rule), method) for rule in app.url_map.iter_rules()
              if rule.rule.startswith("/api/v1/") for method in rule.methods & METHODS}
    assert documented == routed
    # every path parameter is an integer route converter, so a non-number is a plain 404
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            assert all(conv.__class__.__name__ == "IntegerConverter" for conv in rule._converters.values())


def test_document_is_valid_openapi(app):
    schemathesis = pytest.importorskip("schemathesis")
    schema = schemathesis.openapi.from_dict(openapi.document())
    assert len(list(schema.get_all_operations())) == len(openapi.OPERATIONS)


def test_operation_ids_are_unique():
    ids = [op.operation_id for op in openapi.OPERATIONS]
    assert len(ids) == len(set(ids))


def test_docs_page_lists_every_operation(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for op in openapi.OPERATIONS:
        assert f'id="{op.operation_id}"' in page
        assert openapi.PREFIX + op.path in page
    assert "<script>" not in page and 'style="' not in page


def test_unknown_api_path_answers_in_the_envelope(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404 and "error" in response.get_json()
    assert client.get("/api/v1/tasks/abc").status_code == 404
