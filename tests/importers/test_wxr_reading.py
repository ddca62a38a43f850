"""Reading a WXR file: what WordPress writes is understood, what it does not is refused clearly."""

from __future__ import annotations

import io
import tracemalloc

import pytest

from importers.errors import SourceError
from importers.wordpress import Options, read_plan
from importers.wxr import WxrChannel, read_wxr
from tests.importers.wordpress_fixture import RUNBOX_WXR, entry, runbox_plan


def plan_of(data: bytes, name: str = "blog.xml") -> dict:
    return read_plan(io.BytesIO(data), Options(file_name=name))


def test_it_reads_authors_categories_tags_dates_and_leaves_pages_and_comments_out():
    channel = WxrChannel()
    with RUNBOX_WXR.open("rb") as stream:
        items = list(read_wxr(stream, "runbox.wordpress.xml", channel))
    assert channel.site_url == "https://blog.runbox.com"
    assert channel.authors == {"geir": "Geir", "maria": "Maria"}
    ddos = next(item for item in items if item.post_id == "104")
    assert ddos.author == "geir" and [c.slug for c in ddos.categories] == ["status"]
    assert ddos.tags == ["DDoS"] and str(ddos.gmt_date) == "2013-01-24 23:15:00"
    assert "A reader" not in ddos.content and "nothing yet" not in ddos.content
    plan = runbox_plan()
    assert "200" not in [item["source_id"] for item in plan["items"]]  # the page


def test_status_posts_become_incidents_and_maintenance_by_their_titles():
    plan = runbox_plan()
    assert entry(plan, "104")["kind"] == "incident"
    assert (
        entry(plan, "103")["kind"] == "maintenance" and entry(plan, "103")["state"] == "completed"
    )
    assert entry(plan, "101")["state"] == "postponed"
    assert entry(plan, "102")["kind"] == "post" and "No state" in entry(plan, "102")["note"]
    assert entry(plan, "109")["kind"] == "post"  # not in the status category
    assert entry(plan, "110")["publication"] == "draft"


ENTITY_BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<rss><channel><title>&lol3;</title></channel></rss>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<rss><channel><title>&secret;</title></channel></rss>"""


def test_an_entity_bomb_is_refused():
    with pytest.raises(SourceError, match=r"blog.xml: declares the entity 'lol'; entities are"):
        plan_of(ENTITY_BOMB)


def test_an_external_entity_is_refused():
    with pytest.raises(SourceError, match=r"external entity 'secret' .file:///etc/passwd"):
        plan_of(EXTERNAL_ENTITY)


def test_malformed_xml_names_the_line():
    broken = RUNBOX_WXR.read_bytes().replace(b"</wp:post_id>", b"</wp:post_idd>", 1)
    line = broken[: broken.index(b"</wp:post_idd>")].count(b"\n") + 1
    with pytest.raises(SourceError, match=rf"blog.xml, line {line}, column \d+: malformed XML"):
        plan_of(broken)


def test_a_wrong_encoding_is_named():
    latin = RUNBOX_WXR.read_text(encoding="utf-8").encode("cp1252", errors="replace")
    with pytest.raises(SourceError, match=r"line \d+, .*invalid token.*encoding"):
        plan_of(latin)


def test_an_unknown_status_names_the_item():
    odd = RUNBOX_WXR.read_bytes().replace(b"<![CDATA[draft]]>", b"<![CDATA[archived]]>")
    with pytest.raises(SourceError, match=r"item 10 \(post 110.*status 'archived'"):
        plan_of(odd)


def test_duplicate_slugs_name_both_items():
    twice = RUNBOX_WXR.read_bytes().replace(
        b"<![CDATA[problems-with-payment-processor]]>",
        b"<![CDATA[email-services-down-because-of-ddos]]>",
    )
    with pytest.raises(SourceError, match=r"item 6 \(post 106.*already used by item 4"):
        plan_of(twice)


def _export(posts: int) -> bytes:
    item = (
        "<item><title>Post {n}</title><wp:post_id>{n}</wp:post_id>"
        "<wp:post_name>post-{n}</wp:post_name><wp:status>publish</wp:status>"
        "<wp:post_type>post</wp:post_type><wp:post_date>2014-01-01 10:00:00</wp:post_date>"
        "<wp:post_date_gmt>2014-01-01 09:00:00</wp:post_date_gmt>"
        "<content:encoded><![CDATA[" + "Words. " * 200 + "]]></content:encoded></item>"
    )
    body = "".join(item.format(n=n) for n in range(1, posts + 1))
    return (
        '<?xml version="1.0"?><rss xmlns:wp="http://wordpress.org/export/1.2/" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
        f"<link>https://x.example</link>{body}</channel></rss>"
    ).encode()


def _peak_reading(data: bytes) -> int:
    tracemalloc.start()
    for _ in read_wxr(io.BytesIO(data), "big.xml", WxrChannel()):
        pass
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def test_reading_keeps_memory_flat_with_the_size_of_the_file():
    small, large = _export(200), _export(2000)
    assert _peak_reading(large) < 2 * _peak_reading(small)
