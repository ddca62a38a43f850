"""manage.py import_wordpress: the same plan and writes as the console, without the review."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from importers.models import SourceKey
from incidents.models import Incident, Post
from tests.factories import oslo
from tests.importers.wordpress_fixture import RUNBOX_WXR

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("import_wordpress", *args, stdout=out)
    return out.getvalue()


def test_a_dry_run_prints_the_plan_in_the_site_zone_and_writes_nothing():
    out = run(str(RUNBOX_WXR), "--dry-run")
    assert "post 104" in out and "-> incident: 'Email services down because of DDoS'" in out
    assert "Fri 25 Jan 2013, 00:45 CET [00:45 CET] update" in out
    assert "Thu 20 Dec 2012, 08:16 CET [8:16 AM CET] completed" in out
    assert not Post.objects.exists() and not SourceKey.objects.exists()


def test_it_imports_then_imports_again_without_duplicates():
    assert "10 created" in run(str(RUNBOX_WXR))
    assert "5 kept, 5 updated" in run(str(RUNBOX_WXR))
    assert Incident.objects.count() == 3


def test_a_post_without_gmt_date_needs_the_zone(tmp_path):
    text = RUNBOX_WXR.read_text(encoding="utf-8").replace(
        "<wp:post_date_gmt><![CDATA[2016-01-24 13:00:00]]></wp:post_date_gmt>", ""
    )
    export = tmp_path / "blog.xml"
    export.write_text(text, encoding="utf-8")
    with pytest.raises(CommandError, match=r"blog.xml, item 9 \(post 109.*--zone"):
        run(str(export))
    assert not Post.objects.exists()
    run(str(export), "--zone", "Europe/Oslo")
    assert Post.objects.get(slug="spam-filter-upgrades-and-policies").published_at == oslo(
        2016, 1, 24, 14, 0
    )


def test_an_unknown_zone_and_a_missing_file_are_clear_errors(tmp_path):
    with pytest.raises(CommandError, match="'Mars/Olympus' is not a time zone"):
        run(str(RUNBOX_WXR), "--zone", "Mars/Olympus")
    with pytest.raises(CommandError, match=r"nowhere.xml: No such file"):
        run(str(tmp_path / "nowhere.xml"))


def test_a_bad_item_late_in_the_streamed_file_leaves_nothing_written(tmp_path):
    # Items are written as they are read; the 9th repeats the 4th's slug, after 8 are written.
    text = RUNBOX_WXR.read_text(encoding="utf-8").replace(
        "<![CDATA[spam-filter-upgrades-and-policies]]>",
        "<![CDATA[email-services-down-because-of-ddos]]>",
    )
    export = tmp_path / "late.xml"
    export.write_text(text, encoding="utf-8")
    with pytest.raises(CommandError, match=r"late.xml, item 9 \(post 109.*already used by item 4"):
        run(str(export))
    assert not Post.objects.exists() and not Incident.objects.exists()
    assert not SourceKey.objects.exists()
