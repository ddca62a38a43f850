"""The status colours stay readable: WCAG AA (4.5:1) as white text on them and as text on white."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from incidents.models.status import CRITICAL, MAINTENANCE, MAJOR, MINOR, OPERATIONAL

SITE_CSS = Path(__file__).resolve().parent.parent / "incidents" / "static" / "css" / "site.css"
WHITE = "#ffffff"
AA_NORMAL_TEXT = 4.5


def status_colours() -> dict[str, str]:
    css = SITE_CSS.read_text()
    return dict(
        re.findall(r"--status-([\w-]+)\s*:\s*(#[0-9a-fA-F]{3}(?:[0-9a-fA-F]{3})?)\s*;", css)
    )


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


@pytest.mark.parametrize("name", ["none", "maintenance", "minor", "major", "critical"])
def test_a_status_colour_is_readable_under_white_text_and_as_text_on_white(name):
    colour = status_colours()[name]

    assert contrast(WHITE, colour) >= AA_NORMAL_TEXT, f"white on --status-{name}: {colour}"
    assert contrast(colour, WHITE) >= AA_NORMAL_TEXT, f"--status-{name} on white: {colour}"


def test_every_status_colour_in_the_stylesheet_is_checked():
    # A new --status-* colour must be added to the lists above, so it is checked too.
    assert set(status_colours()) == {"none", "maintenance", "minor", "major", "critical"}
