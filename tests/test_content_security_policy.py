"""The Content-Security-Policy header: strict on every page, framing open to the embeddables."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest

from tests.factories import make_component

pytestmark = pytest.mark.django_db


def directives(policy: str) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in policy.split(";"))


@pytest.mark.parametrize("path", ["/", "/history/", "/blog/", "/subscribe/", "/staff/login/"])
def test_every_page_runs_only_its_own_files_and_is_not_framed(client, path):
    response = client.get(path)
    policy = directives(response["Content-Security-Policy"])
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert response["X-Frame-Options"] == "DENY"


def test_the_widget_may_be_framed_anywhere_and_its_own_style_applies(client):
    make_component("IMAP")
    for response in (client.get("/widget/"), client.get("/widget/")):  # fresh, then cached
        policy = directives(response["Content-Security-Policy"])
        assert policy["frame-ancestors"] == "*"
        assert not response.has_header("X-Frame-Options")
        [style] = re.findall(rb"<style>(.*?)</style>", response.content, re.DOTALL)
        digest = base64.b64encode(hashlib.sha256(style).digest()).decode()
        assert policy["style-src"] == f"'self' 'sha256-{digest}'"
        assert "unsafe-inline" not in response["Content-Security-Policy"]


def test_badges_may_be_framed_anywhere_and_run_nothing(client):
    response = client.get("/badge.svg")
    policy = directives(response["Content-Security-Policy"])
    assert policy["default-src"] == "'none'"
    assert policy["frame-ancestors"] == "*"
    assert not response.has_header("X-Frame-Options")


def test_json_answers_carry_no_page_policy(client):
    assert not client.get("/api/v2/summary.json").has_header("Content-Security-Policy")
