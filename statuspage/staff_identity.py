"""Whether a request comes from verified staff, decided before any middleware runs.

The public gate (statuspage.admission) lets staff requests skip the public
slots and makes readers give way while one runs. A path proves nothing: anyone
can flood /staff/login/ or send the staff API a made-up token. Only these count:

- a console or admin request carrying the session of an active staff member
  (an editor, an admin, or is_staff) whose second factor was verified;
- a staff API request carrying an API token the API accepts (active, its author's account
  not deactivated).

The session of an active staff member who has given their password but not yet their code
stands between (Standing.PASSWORD_ONLY): a reader in the public slots, but one the staff
door (statuspage.staff_door) does not count, since knowing the password is no flood.

Both checks only read. A session costs one indexed lookup of its key, and its
user and device one each, and only when a staff page is asked for with a
session cookie. A token is hashed and looked up among the active tokens' hashes
held in memory (refreshed every ACTIVE_TOKENS_SECONDS, and at once in the
process that issues, revokes or deletes one), so made-up tokens cost no query.
A revoked token may keep its priority for those few seconds; the API itself
refuses it at once.
"""

from __future__ import annotations

import enum
import threading
import time
from importlib import import_module

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, load_backend
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.sessions.backends.base import SessionBase
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare

SESSION_PREFIXES = ("/staff/", "/admin/")
API_PREFIX = "/api/staff/"
ACTIVE_TOKENS_SECONDS = 10.0


def is_staff_path(path: str) -> bool:
    return path.startswith((*SESSION_PREFIXES, API_PREFIX))


class Standing(enum.Enum):
    VERIFIED = "verified"  # skips the public slots and the staff door
    PASSWORD_ONLY = "password only"  # a staff member at the second-factor step: not a flood
    NONE = "none"


def staff_standing(request: HttpRequest) -> Standing:
    path = request.path_info
    if path.startswith(API_PREFIX):
        return Standing.VERIFIED if _holds_active_token(request) else Standing.NONE
    if path.startswith(SESSION_PREFIXES):
        return _session_standing(request)
    return Standing.NONE  # a staff member reading the public pages is a reader


def _holds_active_token(request: HttpRequest) -> bool:
    from incidents.models.tokens import ApiToken, bearer_token

    presented = bearer_token(request.headers.get("Authorization", ""))
    if not ApiToken.well_formed(presented):
        return False
    return ApiToken.digest(presented) in active_tokens.hashes()


def _session_standing(request: HttpRequest) -> Standing:
    session_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if not session_key:
        return Standing.NONE
    session = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    try:
        user_id = session[SESSION_KEY]
        backend_path = session[BACKEND_SESSION_KEY]
    except KeyError:
        return Standing.NONE
    if backend_path not in settings.AUTHENTICATION_BACKENDS:
        return Standing.NONE
    backend = load_backend(backend_path)
    user = backend.get_user(user_id) if hasattr(backend, "get_user") else None
    if user is None or not user.is_active:
        return Standing.NONE
    # As django.contrib.auth.get_user checks it (without its writes: the session middleware,
    # later, does those): a password change ends the session.
    if not constant_time_compare(session.get(HASH_SESSION_KEY, ""), user.get_session_auth_hash()):
        return Standing.NONE
    if not _is_staff(user):
        return Standing.NONE
    return Standing.VERIFIED if _second_factor_passed(session, user) else Standing.PASSWORD_ONLY


def _second_factor_passed(session: SessionBase, user: AbstractBaseUser) -> bool:
    """As django_otp's middleware decides user.is_verified(): a confirmed device of theirs."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.models import Device

    persistent_id = session.get(DEVICE_ID_SESSION_KEY)
    if not isinstance(persistent_id, str):
        return False
    device = Device.from_persistent_id(persistent_id)
    return device is not None and device.user_id == user.pk and device.confirmed


def _is_staff(user: AbstractBaseUser) -> bool:
    from console.roles import role_of

    return bool(getattr(user, "is_staff", False)) or role_of(user) is not None


class ActiveTokens:
    """The hashes of the active API tokens, read at most every ACTIVE_TOKENS_SECONDS."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._hashes: frozenset[str] = frozenset()
        self._read_at: float | None = None

    def hashes(self) -> frozenset[str]:
        with self._lock:
            now = time.monotonic()
            if self._read_at is None or now - self._read_at >= ACTIVE_TOKENS_SECONDS:
                from incidents.models.tokens import ApiToken

                self._hashes = frozenset(ApiToken.objects.accepted().hashes())
                self._read_at = now
            return self._hashes

    def forget(self, **_: object) -> None:
        with self._lock:
            self._read_at = None


active_tokens = ActiveTokens()
post_save.connect(active_tokens.forget, sender="incidents.ApiToken", weak=False)
post_delete.connect(active_tokens.forget, sender="incidents.ApiToken", weak=False)
