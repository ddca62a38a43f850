"""The colours stay readable in the light scheme and the dark one (prefers-color-scheme).

WCAG AA: text 4.5:1 (the status colours as text on the background, and the banner's text
on them), the uptime bars 3:1 against the background (non-text contrast, 1.4.11).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from incidents.models.status import CRITICAL, MAINTENANCE, MAJOR, MINOR, OPERATIONAL

SITE_CSS = Path(__file__).resolve().parent.parent / "incidents" / "static" / "css" / "site.css"
WHITE = "#ffffff"
AA_NORMAL_TEXT = 4.5
AA_GRAPHICS = 3.0
STATUSES = ["none", "maintenance", "minor", "major", "critical"]
SCHEMES = ["light", "dark"]
COLOUR = re.compile(r"--([\w-]+)\s*:\s*(#[0-9a-fA-F]{3}(?:[0-9a-fA-F]{3})?)\s*;")


def scheme(name: str) -> dict[str, str]:
    """The custom properties of a scheme: the first :root block, or the dark one over it."""
    css = SITE_CSS.read_text()
    light = dict(COLOUR.findall(css[css.index(":root {") : css.index("}", css.index(":root {"))]))
    if name == "light":
        return light
    dark_start = css.index("@media (prefers-color-scheme: dark)")
    dark_block = css[dark_start : css.index("}\n}", dark_start)]
    return {**light, **dict(COLOUR.findall(dark_block))}


def status_colours(name: str = "light") -> dict[str, str]:
    return {
        key.removeprefix("status-"): value
        for key, value in scheme(name).items()
        if key.startswith("status-")
    }


def relative_luminance(colour: str) -> float:
    hex_digits = colour.lstrip("#")
    if len(hex_digits) == 3:
        hex_digits = "".join(d * 2 for d in hex_digits)
    channels = [int(hex_digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    red, green, blue = linear
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(foreground: str, background: str) -> float:
    lighter, darker = sorted(
        (relative_luminance(foreground), relative_luminance(background)), reverse=True
    )
    return (lighter + 0.05) / (darker + 0.05)


def test_the_contrast_formula_matches_known_values():
    assert contrast("#000000", WHITE) == pytest.approx(21.0)
    assert contrast(WHITE, WHITE) == pytest.approx(1.0)
    assert contrast("#777777", WHITE) == pytest.approx(4.48, abs=0.01)  # the classic near miss
    assert contrast("#767676", WHITE) == pytest.approx(4.54, abs=0.01)
    assert contrast("#fff", "#000") == pytest.approx(21.0)


def test_every_overall_status_has_a_colour():
    indicators = {s.indicator for s in (OPERATIONAL, MAINTENANCE, MINOR, MAJOR, CRITICAL)}

    assert indicators <= set(status_colours())


def test_the_dark_scheme_sets_every_colour_the_light_one_does():
    css = SITE_CSS.read_text()
    dark_start = css.index("@media (prefers-color-scheme: dark)")
    dark = dict(COLOUR.findall(css[dark_start : css.index("}\n}", dark_start)]))

    assert set(dark) == set(scheme("light"))
    assert scheme("dark")["bg"] != scheme("light")["bg"]


@pytest.mark.parametrize("name", STATUSES)
@pytest.mark.parametrize("mode", SCHEMES)
def test_a_status_colour_is_readable_under_its_text_and_as_text_on_the_background(mode, name):
    colours = scheme(mode)
    colour = status_colours(mode)[name]

    on_status = colours["on-status"]
    assert contrast(on_status, colour) >= AA_NORMAL_TEXT, f"{mode}: text on --status-{name}"
    for background in ("bg", "bg-soft"):
        assert contrast(colour, colours[background]) >= AA_NORMAL_TEXT, (
            f"{mode}: --status-{name} on --{background}"
        )


@pytest.mark.parametrize("mode", SCHEMES)
@pytest.mark.parametrize("text", ["text", "muted", "link"])
def test_text_is_readable_on_both_backgrounds(mode, text):
    colours = scheme(mode)

    for background in ("bg", "bg-soft"):
        assert contrast(colours[text], colours[background]) >= AA_NORMAL_TEXT, (
            f"{mode}: --{text} on --{background}"
        )


@pytest.mark.parametrize("mode", SCHEMES)
@pytest.mark.parametrize("bar", [*(f"status-{s}" for s in STATUSES), "bar-no-data"])
def test_an_uptime_bar_stands_out_from_the_background(mode, bar):
    colours = scheme(mode)

    assert contrast(colours[bar], colours["bg"]) >= AA_GRAPHICS, f"{mode}: --{bar}"


def test_every_status_colour_in_the_stylesheet_is_checked():
    # A new --status-* colour must be added to the lists above, so it is checked too.
    assert set(status_colours("light")) == set(STATUSES)
    assert set(status_colours("dark")) == set(STATUSES)
