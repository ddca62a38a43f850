"""Staff API tokens: issue, disable, enable, delete; each act audited (never the secret)."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction

from actions.steps import Author
from incidents.auditing import Snapshot, record_audit, snapshot
from incidents.models import ApiToken


def _state(token: ApiToken) -> Snapshot:
    state = snapshot(token)
    state.pop("token_hash", None)
    return state


@transaction.atomic
def issue_api_token(
    *,
    name: str,
    scopes: list[str],
    user: User | None = None,
    author: Author = None,
) -> tuple[ApiToken, str]:
    """A new token and its secret, which is seen this once: only its hash is stored."""
    token, secret = ApiToken.issue(name, scopes, created_by=user)
    record_audit("api_token.created", token, actor=author, after=_state(token))
    return token, secret


@transaction.atomic
def set_api_token_enabled(token: ApiToken, enabled: bool, *, author: Author = None) -> ApiToken:
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.is_active == enabled:
        return token
    before = _state(token)
    if enabled:
        token.restore()
    else:
        token.revoke()
    action = "api_token.enabled" if enabled else "api_token.disabled"
    record_audit(action, token, actor=author, before=before, after=_state(token))
    return token


@transaction.atomic
def delete_api_token(token: ApiToken, *, author: Author = None) -> None:
    record_audit("api_token.deleted", token, actor=author, before=_state(token))
    token.delete()
