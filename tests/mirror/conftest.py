"""The static mirror's local target, in a directory nginx can serve, and nginx serving it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core import mail

from incidents import views
from tests.servers.nginx import NginxServer, make_world_readable_dir

# The live site's address: the mirror renders for this host, and a crawl of the mirror must
# not lead back to it.
SITE_URL = "https://status.example.test"
SITE_HOST = "status.example.test"
PREFIX = "status-mirror"


@dataclass(frozen=True)
class Mirror:
    root: Path  # MIRROR_LOCAL_DIR

    @property
    def current(self) -> Path:
        return self.root / "current"

    @property
    def builds(self) -> Path:
        return self.root / "builds"

    def build_names(self) -> list[str]:
        """The builds (not the links made ahead for the next one: .next-<build>)."""
        if not self.builds.exists():
            return []
        return sorted(p.name for p in self.builds.iterdir() if not p.name.startswith("."))

    def ahead(self) -> list[str]:
        return sorted(p.name for p in self.builds.iterdir() if p.name.startswith("."))

    def file(self, path: str) -> Path:
        return self.current / path

    def files(self) -> dict[str, tuple[int, bytes]]:
        """Every file of the current build: its path, inode and bytes."""
        base = self.current.resolve()
        return {
            path.relative_to(base).as_posix(): (path.stat().st_ino, path.read_bytes())
            for path in sorted(base.rglob("*"))
            if path.is_file()
        }


@pytest.fixture
def mirror(settings) -> Iterator[Mirror]:
    """MIRROR_LOCAL_DIR in a fresh world-readable directory; the other channels off."""
    top = make_world_readable_dir("statuspage-mirror-")
    settings.MIRROR_LOCAL_DIR = str(top / "mirror")
    settings.SITE_URL = SITE_URL
    settings.MIRROR_BASE_URL = f"/{PREFIX}/"
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, SITE_HOST]
    # Static files from the apps' folders (STATIC_ROOT may hold an old collectstatic).
    settings.STATIC_ROOT = str(top / "no-collectstatic")
    settings.X_API_KEY = settings.MASTODON_ACCESS_TOKEN = ""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    try:
        yield Mirror(top / "mirror")
    finally:
        shutil.rmtree(top, ignore_errors=True)


@pytest.fixture
def nginx(mirror: Mirror) -> Iterator[NginxServer]:
    """nginx on a free loopback port serving the mirror at /status-mirror/."""
    with NginxServer(mirror.root, prefix=PREFIX) as server:
        yield server


@pytest.fixture
def broken(monkeypatch):
    """Make the pages named by the returned set's ids (incidents) or templates raise."""
    broken_incidents: set[int] = set()
    broken_templates: set[str] = set()
    real_render = views.render

    def render(request, template, context=None, *args, **kwargs):
        incident = (context or {}).get("incident")
        if template in broken_templates or (incident and incident.pk in broken_incidents):
            raise ValueError("stored data this page cannot show")
        return real_render(request, template, context, *args, **kwargs)

    monkeypatch.setattr(views, "render", render)
    return broken_incidents, broken_templates
