"""Export a site, empty the database, import the file: every public page and API document
is byte for byte what it was, and the restored site works on (new rows get new ids).

With --postgres these run on PostgreSQL; test_a_sqlite_export_restores_into_postgresql
moves a site made on SQLite (by a separate process) into PostgreSQL.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

import actions
from actions.demo.loader import load_demo
from actions.export import export_lines, restore_export
from benchmarks.history import generate_history
from incidents.models import Incident, PublicationState
from notifier.mirror.models import MirrorChange
from notifier.models import Notice
from tests.export_render import empty_the_database
from tests.export_render import render_site as render_at
from tests.factories import make_component

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_too]

ROOT = Path(__file__).resolve().parent.parent
NOW = timezone.now()


def render_site() -> dict[str, bytes]:
    return render_at(NOW)


def export_text(*, with_secrets: bool = False) -> str:
    return "".join(export_lines(with_secrets=with_secrets))


def restore_text(text: str) -> None:
    restore_export(io.StringIO(text))


def assert_same_pages(before: dict[str, bytes], after: dict[str, bytes]) -> None:
    assert sorted(after) == sorted(before)
    changed = [url for url in before if before[url] != after[url]]
    assert not changed, f"{len(changed)} pages differ, first {changed[:3]}"


def test_the_demo_comes_back_byte_for_byte():
    load_demo()
    before = render_site()
    text = export_text()
    empty_the_database()

    restore_text(text)

    assert len(before) > 60
    assert_same_pages(before, render_site())
    assert export_text().splitlines()[1:] == text.splitlines()[1:]


def test_a_restore_sends_no_notice_and_moves_the_publication_token():
    load_demo()
    text = export_text()
    empty_the_database()
    token = PublicationState.current_token()

    restore_text(text)

    assert not Notice.objects.exists()
    assert not MirrorChange.objects.exists()
    assert PublicationState.current_token() != token


def test_a_restored_site_gives_new_rows_new_ids():
    load_demo()
    text = export_text()
    highest = Incident.objects.order_by("-pk").first()
    assert highest is not None
    empty_the_database()
    restore_text(text)

    component = make_component("Fresh")
    incident = actions.open_incident(
        title="After the move",
        body="Still here.",
        component_statuses={component: "major_outage"},
    )

    assert incident.pk > highest.pk
    assert Incident.objects.count() == 8


def test_ten_years_of_generated_history_come_back_byte_for_byte():
    # The benchmark's generator at a tenth of its size: the same ten years, 200 incidents,
    # 20 maintenance windows and 60 posts (the full size renders ~1,500 pages twice).
    generate_history(incidents=200, posts=60, maintenance=20, now=NOW)
    before = render_site()
    text = export_text()
    empty_the_database()

    restore_text(text)

    assert len(before) > 250
    assert_same_pages(before, render_site())


def test_a_sqlite_export_restores_into_postgresql(tmp_path):
    """A site made and exported by another process on SQLite, restored here (PostgreSQL
    with --postgres): the pages it rendered there are the pages this database renders."""
    if connection.vendor != "postgresql":
        pytest.skip("moves a site into PostgreSQL: run with --postgres")
    environment = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'source.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "statuspage.settings",
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    for command in (["migrate", "-v0"], ["load_demo"]):
        subprocess.run([*manage, *command], cwd=ROOT, env=environment, check=True)
    export = tmp_path / "site.jsonl"
    subprocess.run(
        [*manage, "export", "--output", str(export)], cwd=ROOT, env=environment, check=True
    )
    rendered = tmp_path / "pages.json"
    subprocess.run(
        [sys.executable, "-m", "tests.export_render", str(rendered), NOW.isoformat()],
        cwd=ROOT,
        env=environment,
        check=True,
    )
    empty_the_database()

    call_command("import_export", str(export), stdout=io.StringIO())

    on_sqlite = {url: body.encode() for url, body in json.loads(rendered.read_text()).items()}
    assert_same_pages(on_sqlite, render_site())
