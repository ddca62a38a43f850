"""The --postgres run really talks to PostgreSQL (`make test` runs it with -m postgres_too)."""

from __future__ import annotations

import pytest
from django.db import connection

from incidents.models import Component

pytestmark = [pytest.mark.postgres_too, pytest.mark.django_db]


def test_it_runs_on_postgresql_when_asked(request: pytest.FixtureRequest) -> None:
    if not request.config.getoption("--postgres"):
        pytest.skip("runs only with --postgres")

    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('server_version_num')::int, current_database()")
        version, database = cursor.fetchone()
    assert version >= 120000
    assert database.startswith("test_")
    assert connection.settings_dict["HOST"] == "127.0.0.1"


def test_the_schema_works_on_the_database_in_use() -> None:
    Component.objects.create(name="IMAP")

    assert list(Component.objects.values_list("name", flat=True)) == ["IMAP"]
