"""One converter per thread is reused across texts: nothing one text defines reaches the next."""

from __future__ import annotations

import threading

import pytest

from incidents.markup import render_fresh


def test_an_abbreviation_defined_in_one_text_is_not_applied_to_the_next():
    defined = render_fresh("IMAP is down.\n\n*[IMAP]: Internet Message Access Protocol")
    assert '<abbr title="Internet Message Access Protocol">IMAP</abbr>' in defined
    assert "<abbr" not in render_fresh("IMAP is back.")


def test_footnotes_start_again_in_each_text():
    first = render_fresh("Mail is delayed.[^1]\n\n[^1]: Since 00:15.")
    second = render_fresh("Mail is delayed.[^1]\n\n[^1]: Since 00:15.")
    assert first == second
    assert "Since 00:15." in first
    assert "Since 00:15." not in render_fresh("Mail flows again.")


def test_a_text_that_failed_half_way_leaves_nothing_for_the_next(monkeypatch):
    import incidents.markup as markup

    converter = markup._converter()
    original = converter.convert

    def stop_half_way(text: str) -> str:
        converter.references["left"] = ("https://example.org/", None)
        raise RuntimeError("stopped")

    monkeypatch.setattr(converter, "convert", stop_half_way)
    with pytest.raises(RuntimeError):
        render_fresh("anything")
    monkeypatch.setattr(converter, "convert", original)
    assert "example.org" not in render_fresh("See [the notice][left].")


def test_threads_render_with_their_own_converter():
    texts = [f"Update {n}: **mail** flows at [link](https://example.org/{n})." for n in range(50)]
    expected = [render_fresh(text) for text in texts]
    results: dict[int, list[str]] = {}

    def render_all(worker: int) -> None:
        results[worker] = [render_fresh(text) for text in texts]

    workers = [threading.Thread(target=render_all, args=(n,)) for n in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert all(rendered == expected for rendered in results.values())
