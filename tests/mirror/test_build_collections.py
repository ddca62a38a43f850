"""A build runs with fewer garbage collections (render.fewer_collections), and only a build."""

from __future__ import annotations

import gc

import pytest
from django.core.management import call_command

from notifier.mirror import channel as mirror_channel
from notifier.mirror.render import BUILD_GC_THRESHOLD, fewer_collections
from tests.factories import build_site, open_incident
from tests.mirror.conftest import Mirror


def test_the_threshold_is_raised_inside_and_restored_after_even_on_failure():
    before = gc.get_threshold()
    with fewer_collections():
        assert gc.get_threshold() == (BUILD_GC_THRESHOLD, *before[1:])
    assert gc.get_threshold() == before
    with pytest.raises(RuntimeError), fewer_collections():
        raise RuntimeError("a page failed")
    assert gc.get_threshold() == before


@pytest.mark.django_db
def test_a_full_build_renders_with_the_raised_threshold(mirror: Mirror, monkeypatch):
    build_site()
    open_incident()
    seen: list[int] = []
    render_pages = mirror_channel.render_pages

    def watched(urls):
        seen.append(gc.get_threshold()[0])
        return render_pages(urls)

    monkeypatch.setattr(mirror_channel, "render_pages", watched)
    before = gc.get_threshold()
    call_command("build_mirror")
    assert seen == [BUILD_GC_THRESHOLD]
    assert gc.get_threshold() == before
