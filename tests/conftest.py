"""Shared test set-up. Servers the tests need are started by fixtures in tests/servers/."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import pytest
from django.test import override_settings


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--postgres",
        action="store_true",
        default=False,
        help="Run against a throwaway PostgreSQL server instead of SQLite "
        "(`make test` runs `pytest --postgres -m postgres_too`).",
    )


TEST_SECRET_KEY = "a test key, not the built-in one, long enough for Django"
# Servers and workers the tests start inherit it, so what they sign the tests can read.
os.environ["SECRET_KEY"] = TEST_SECRET_KEY
# Tests sign in from one address far more often than a person does; tests/test_staff_door.py
# and the journeys (make run's defaults) keep the limit.
os.environ["STAFF_DOOR_PER_MINUTE"] = "0"


@pytest.fixture(autouse=True)
def _a_secret_key_of_its_own(settings) -> None:
    """As in production: with the built-in key the site serves loopback only, and tests ask
    for other hosts and client addresses. tests/test_local_key.py puts the built-in key back."""
    settings.SECRET_KEY = TEST_SECRET_KEY
    settings.STAFF_DOOR_PER_MINUTE = 0


def pytest_report_header(config: pytest.Config) -> str:
    if config.getoption("--postgres"):
        return "database: PostgreSQL (a throwaway server from tests/servers/postgres.py)"
    return "database: SQLite (pass --postgres to use a throwaway PostgreSQL server)"


@pytest.fixture(scope="session")
def django_db_modify_db_settings(request: pytest.FixtureRequest) -> Iterator[None]:
    """With --postgres, point the default database at a throwaway PostgreSQL server."""
    if not request.config.getoption("--postgres"):
        request.getfixturevalue("django_db_modify_db_settings_parallel_suffix")
        yield
        return

    from django.conf import settings

    from tests.servers.postgres import PostgresServer

    with PostgresServer() as server:
        # Mutate the dict Django's connection handler already holds, not a copy of it.
        default = settings.DATABASES["default"]
        original = dict(default)
        _point_default_at(default, server.settings_dict())
        # pytest-django's xdist/tox suffixes go on the new test database name.
        request.getfixturevalue("django_db_modify_db_settings_parallel_suffix")
        try:
            yield
        finally:
            _point_default_at(default, original)


def _point_default_at(default: dict[str, object], new: dict[str, object]) -> None:
    from django.conf import settings
    from django.db import connections

    connections.close_all()
    default.clear()
    default.update(new)
    connections.configure_settings(settings.DATABASES)  # Django's defaults, filled in place
    with contextlib.suppress(AttributeError):  # no connection was opened in this thread yet
        del connections["default"]


@pytest.fixture(scope="session", autouse=True)
def _test_settings() -> Iterator[None]:
    # Tests render templates without running collectstatic first.
    plain_static = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(
        STORAGES=plain_static,
        ALLOWED_HOSTS=["testserver", "127.0.0.1", "localhost"],
    ):
        yield


@pytest.fixture(autouse=True)
def _empty_caches() -> Iterator[None]:
    # The database is rolled back between tests; cached pages and counters must go with it.
    from django.core.cache import caches

    from notifier.channels.base import recent_messages

    for cache in caches.all():
        cache.clear()
    recent_messages.clear()
    yield
    for cache in caches.all():
        cache.clear()
    recent_messages.clear()


@pytest.fixture
def admin_client(client, admin_user):
    """pytest-django's admin client, verified: the admin asks for the console's second factor."""
    from tests.factories import verify_client

    verify_client(client, admin_user)
    return client


@pytest.fixture
def eager_celery() -> Iterator[None]:
    """Tasks run at once in the caller, not through a worker: for tests of one flow."""
    from statuspage.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = previous
