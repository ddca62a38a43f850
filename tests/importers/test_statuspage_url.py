"""Importing a page from its address: nginx on loopback serves the page's /api/v2/ documents."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from importers.history_items import SourceError
from importers.imports import import_statuspage
from incidents.models import Component, Incident, Maintenance
from tests.importers.conftest import EXAMPLE
from tests.servers.nginx import NginxServer, make_world_readable_dir

pytestmark = pytest.mark.django_db


@pytest.fixture
def page_server() -> Iterator[tuple[NginxServer, Path]]:
    root = make_world_readable_dir("statuspage-page-")
    api = root / "current" / "api" / "v2"
    shutil.copytree(EXAMPLE, api)
    for path in [root / "current", root / "current" / "api", api, *api.iterdir()]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    try:
        with NginxServer(root, prefix="page") as server:
            yield server, api
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_a_page_is_imported_from_its_address(page_server, settings):
    server, _ = page_server
    settings.IMPORT_ALLOW_HTTP_LOOPBACK = True
    import_statuspage(url=server.url)
    assert Incident.objects.count() == 4
    assert Maintenance.objects.count() == 2
    assert Component.objects.get(name="Pages").group.name == "Automation"


def test_plain_http_is_refused_unless_loopback_is_allowed(page_server, settings):
    server, _ = page_server
    settings.IMPORT_ALLOW_HTTP_LOOPBACK = False
    with pytest.raises(SourceError, match="give the page's https:// address"):
        import_statuspage(url=server.url)
    assert not Component.objects.exists()


def test_a_document_larger_than_the_limit_is_refused(page_server, settings):
    server, _ = page_server
    settings.IMPORT_ALLOW_HTTP_LOOPBACK = True
    settings.IMPORT_FETCH_MAX_BYTES = 2_000
    with pytest.raises(SourceError, match=r"summary.json: is larger than 2,000 bytes"):
        import_statuspage(url=server.url)


def test_a_missing_document_is_named(page_server, settings):
    server, api = page_server
    settings.IMPORT_ALLOW_HTTP_LOOPBACK = True
    (api / "scheduled-maintenances.json").unlink()
    with pytest.raises(SourceError, match=r"scheduled-maintenances.json: answered 404"):
        import_statuspage(url=server.url)
    assert not Incident.objects.exists()
