"""Links between pages are relative, so the same bytes work on the live site and the mirror."""

from __future__ import annotations

import pytest

from incidents.relative_links import relative_path


@pytest.mark.parametrize(
    ("target", "page", "expected"),
    [
        ("/", "/", "./"),
        ("/", "/incidents/1/", "../../"),
        ("/history/", "/", "history/"),
        ("/static/css/site.css", "/blog/a-post/", "../../static/css/site.css"),
        ("/history/?page=2", "/history/", "./?page=2"),
        ("/incidents/1/#update-3", "/incidents/1/", "./#update-3"),
        ("/feed.atom", "/", "feed.atom"),
        ("/feed.atom", "/blog/category/news/", "../../../feed.atom"),
        ("/blog/", "/blog/category/news/", "../../"),
    ],
)
def test_it_turns_a_site_path_into_a_link_relative_to_the_page(target, page, expected):
    assert relative_path(target, page) == expected


def test_it_leaves_other_hosts_and_error_pages_alone(client, db):
    html = client.get("/incidents/404404/").content.decode()
    assert 'href="/history/"' in html  # a 404 answers at any address: absolute stays right
