"""Schemathesis against /api/v1 as its OpenAPI document describes it, with an admin's Bearer token.

Every operation gets valid and invalid requests (wrong types, huge numbers, NUL, missing fields);
none may be answered with a server error. Bad input gets a JSON 4xx that names the problem. A request
the document calls valid is never refused for what the document can state (types, 32-bit whole
numbers, text without NUL, required text not empty); what it cannot state (a row that must exist, a
date not in the future, a real country) may still get a 422 that says so.
"""
from __future__ import annotations

import re

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error


def test_the_openapi_document_is_valid_and_lists_every_operation(app):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]  # .ok() raises on an invalid one
    assert len(operations) >= 30


STATED = re.compile(r"^(must be (text|a whole number|a number|true or false|a list|an object)|contains a NUL "
                    r"character|a key contains a NUL character|is out of range|must not be empty)$")


def test_no_generated_request_gets_a_server_error(app, auth):
    token = auth.token("admin")
    headers = {"Authorization": f"Bearer {token}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            @settings(max_examples=15, deadline=None, database=None,
                      suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                             HealthCheck.filter_too_much, HealthCheck.data_too_large])
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case):
                response = case.call(app=app, headers=headers)
                case.validate_response(response, checks=[not_a_server_error], headers=headers)
                if 400 <= response.status_code < 500 and response.status_code != 405:
                    error = response.json()["error"]
                    assert error["code"] and error["message"], response.text[:300]
                if mode == GenerationMode.POSITIVE and response.status_code == 422:
                    stated = {k: v for k, v in response.json()["error"]["fields"].items() if STATED.match(v)}
                    assert not stated, (operation.label, stated)

            run()


def test_a_wrong_type_or_an_overflowing_number_is_a_422_naming_the_field(app, client, auth):
    """Found by the fuzzer: these were 500s (AttributeError, OverflowError) before the body was checked."""
    headers = {"Authorization": f"Bearer {auth.token('admin')}"}
    for path, body, field in [
        ("/api/v1/campaigns", {"name": True}, "name"),
        ("/api/v1/campaigns", {"name": "Free them", "case_ids": [1, 2**70]}, "case_ids[1]"),
        ("/api/v1/templates", {"name": "A", "subject": 1.5, "body": "x"}, "subject"),
        ("/api/v1/templates", {"name": "A", "subject": "s", "body": ["x"]}, "body"),
        ("/api/v1/cases", {"name": "Ә\x00"}, "name"),
    ]:
        response = client.post(path, json=body, headers=headers)
        assert response.status_code == 422, (path, response.status_code)
        assert field in response.get_json()["error"]["fields"]
    for path in ("/api/v1/campaigns/99999999999999999999999", "/api/v1/contacts/2147483648"):
        response = client.get(path, headers=headers)
        assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"


def test_trace_and_other_refused_methods_say_which_methods_are_allowed(client):
    for path in ("/api/v1/contacts", "/login", "/drives/free-aigerim"):
        response = client.open(path, method="TRACE")
        assert response.status_code == 405 and "GET" in response.headers["Allow"], path
    response = client.delete("/api/v1/openapi.json")
    assert response.status_code == 405 and response.headers["Allow"]
