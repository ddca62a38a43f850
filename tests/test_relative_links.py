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


def test_only_url_attributes_are_rewritten_and_a_stray_quote_hides_no_link():
    from incidents.relative_links import relative_to

    body = (
        b'<p data-x="/kept">x="/not <a href="/history/">'
        b'<img alt="/kept" src="/static/a.png"><a href="//other.example/">'
    )

    assert relative_to(body, "/incidents/7/") == (
        b'<p data-x="/kept">x="/not <a href="../../history/">'
        b'<img alt="/kept" src="../../static/a.png"><a href="//other.example/">'
    )


@pytest.mark.parametrize(
    ("target", "page"),
    [("/a/./b/", "/"), ("/a//b/", "/a/"), ("/a/../b/", "/a/"), ("/a/b", "/a/b/"), ("/a", "/a/")],
)
def test_paths_to_normalise_are_answered_as_relpath_would(target, page):
    import posixpath

    relative = relative_path(target, page)
    page_dir = page if page.endswith("/") else posixpath.dirname(page) + "/"
    assert posixpath.normpath(posixpath.join(page_dir, relative)) == posixpath.normpath(target)
