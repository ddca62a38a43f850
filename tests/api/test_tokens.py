"""Staff API tokens: shown once, stored hashed, scoped, revocable, with their last use."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from incidents.models import ApiToken, Scope

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_too]


def test_a_token_is_stored_only_as_its_hash_with_a_visible_prefix():
    token, secret = ApiToken.issue("Nagios", [Scope.INCIDENTS, Scope.READ])

    stored = ApiToken.objects.get(pk=token.pk)
    assert secret.startswith(f"sp_{stored.prefix}_")
    assert stored.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in repr(stored.__dict__)
    assert stored.scopes == ["incidents", "read"]


def test_the_secret_authenticates_and_records_its_last_use():
    token, secret = ApiToken.issue("Nagios", [Scope.READ])

    assert ApiToken.authenticate(secret) == token
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert timezone.now() - token.last_used_at < timedelta(seconds=5)


@pytest.mark.parametrize("change", ["", "x", "sp_", "sp_nothing_here", "Bearer"])
def test_anything_but_the_exact_secret_is_refused(change):
    _, secret = ApiToken.issue("Nagios", [Scope.READ])

    assert ApiToken.authenticate(change) is None
    assert ApiToken.authenticate(secret[:-1]) is None
    assert ApiToken.authenticate(secret + "a") is None


def test_a_revoked_token_no_longer_authenticates():
    token, secret = ApiToken.issue("Nagios", [Scope.READ])
    token.revoke()

    assert ApiToken.authenticate(secret) is None


def test_last_use_is_written_at_most_once_a_minute():
    token, secret = ApiToken.issue("Nagios", [Scope.READ])
    ApiToken.authenticate(secret)
    first = ApiToken.objects.get(pk=token.pk).last_used_at

    ApiToken.authenticate(secret)
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first

    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - timedelta(minutes=2))
    ApiToken.authenticate(secret)
    assert ApiToken.objects.get(pk=token.pk).last_used_at > first


def test_unknown_scopes_and_empty_names_are_refused():
    with pytest.raises(ValidationError, match="Unknown scope: admin"):
        ApiToken.issue("Nagios", ["admin"])
    with pytest.raises(ValidationError):
        ApiToken.issue("  ", [Scope.READ])
