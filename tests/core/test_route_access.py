"""Every registered route, every method, every role: the outcome is the one its access rule declares.

The expectations come from the rules themselves (`@access(read, write)`), so a route added by anyone
is walked without touching this file, and a route without a rule cannot exist (create_app refuses).
Path parameters get a dummy value; a denied request must be denied before the view looks anything up.

  public                -> allowed for everyone
  anonymous, web page   -> 302 to the sign-in page
  anonymous, API        -> 401
  signed in, too low    -> 403 with the access check's message
  high enough           -> allowed (anything but those three, and never a server error)

A 403 from the view itself (a webhook refusing a bad signature) is the view's own business.
"""
from __future__ import annotations

import uuid

import pytest
from werkzeug.routing import AnyConverter, FloatConverter, IntegerConverter, UUIDConverter

from core.security import LEVELS, RANK, SAFE_METHODS, rule_for
from tests.conftest import csrf_token

ROLES = ("anonymous", "viewer", "campaigner", "admin")
DUMMY = ((IntegerConverter, 999999), (FloatConverter, 999999.0), (UUIDConverter, uuid.UUID(int=999999)))


def fill(rule) -> str:
    values = {}
    for name in rule.arguments:
        converter = rule._converters[name]
        if isinstance(converter, AnyConverter):
            values[name] = sorted(converter.items)[0]
        else:
            values[name] = next((v for kind, v in DUMMY if isinstance(converter, kind)), "so_dummy-value")
    return rule.build(values, append_unknown=False)[1]


def cases(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def required(app, endpoint: str, method: str) -> str:
    read, write = rule_for(app, endpoint)
    return read if method in SAFE_METHODS else write


def outcome(response, is_api: bool) -> str:
    location = response.headers.get("Location", "")
    if not is_api and response.status_code == 302 and location.split("?")[0] == "/login" and (
            "next=" in location or location == "/login"):
        return "sign-in"
    if is_api and response.status_code == 401:
        return "401"
    if response.status_code == 403 and "role or higher; your account is a" in response.get_data(as_text=True):
        return "403"  # the access check's own refusal (a webhook's bad signature is the view's)
    return "allowed"


def expected(role: str, level: str, is_api: bool) -> str:
    if level == "public" or (role != "anonymous" and RANK[role] >= RANK[level]):
        return "allowed"
    if role == "anonymous":
        return "401" if is_api else "sign-in"
    return "403"


class Walker:
    """One browser and one API client per role, signed in again whenever a route ended the session."""

    def __init__(self, app, auth, role: str):
        self.app, self.auth, self.role = app, auth, role
        self.web = app.test_client()
        self.token = None if role == "anonymous" else auth.token(role)
        self.sign_in()

    def sign_in(self):
        if self.role != "anonymous":
            self.auth.login(self.role, client=self.web)
        self.csrf = csrf_token(self.web, "/login" if self.role == "anonymous" else "/account")

    def request(self, rule, method: str):
        path = fill(rule)
        if rule.endpoint.startswith("api."):
            headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
            response = self.web.open(path, method=method, headers=headers, json={} if method != "GET" else None)
        else:
            response = self.web.open(path, method=method, data=None if method == "GET" else {"csrf_token": self.csrf})
        response.get_data()
        response.close()  # a streamed body (CSV export) keeps its context until it is closed
        return response

    def signed_in(self) -> bool:
        return self.role == "anonymous" or self.web.get("/account").status_code == 200


def test_every_route_answers_every_role_as_its_rule_declares(config):
    from app import create_app
    from tests.conftest import AuthActions

    # A view that raises answers 500 here (as in production) and is reported with the rest.
    app = create_app({**config, "PROPAGATE_EXCEPTIONS": False})
    auth = AuthActions(app, app.test_client())
    walkers = {role: Walker(app, auth, role) for role in ROLES}
    mismatches, walked = [], 0
    for rule, method in cases(app):
        level = required(app, rule.endpoint, method)
        assert level in LEVELS
        is_api = rule.endpoint.startswith("api.")
        for role, walker in walkers.items():
            response = walker.request(rule, method)
            got = outcome(response, is_api)
            if role != "anonymous" and response.status_code == 302 and not walker.signed_in():
                # The route ended the session (sign-out, password change...): it ran, so it was
                # allowed; the access check itself never ends a session. Sign in again for the next.
                got = "allowed"
                walker.sign_in()
            want = expected(role, level, is_api)
            if got != want or response.status_code >= 500:
                mismatches.append(f"{method} {rule.rule} as {role}: expected {want}, got "
                                  f"{response.status_code} {response.headers.get('Location', '')}")
            walked += 1
    assert not mismatches, "\n".join(mismatches)
    assert walked >= 4 * 20  # the walk really covered the app


def test_the_walk_derives_expectations_from_the_rules():
    assert expected("anonymous", "public", False) == "allowed"
    assert expected("anonymous", "viewer", False) == "sign-in"
    assert expected("anonymous", "viewer", True) == "401"
    assert expected("viewer", "campaigner", False) == "403"
    assert expected("campaigner", "admin", True) == "403"
    assert expected("admin", "admin", False) == "allowed"


@pytest.mark.parametrize("path", ["/admin/users", "/admin/audit"])
def test_admin_pages_are_refused_to_campaigners(client, auth, path):
    auth.login("campaigner")
    assert client.get(path).status_code == 403
