"""Shared test set-up. Servers the tests need are started by fixtures in tests/servers/."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import override_settings


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
