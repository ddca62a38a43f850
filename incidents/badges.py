"""A status badge (SVG) for READMEs and intranets, and a small widget page for an iframe.

Both are read by screen readers: the badge is role="img" with an aria-label
and a <title>, the widget is plain text and links. Neither loads anything:
no fonts, scripts or images from elsewhere. The colours are the status
palette of incidents/static/css/site.css (WCAG AA with white text; a test
keeps the two in step).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_safe

from incidents import pages
from incidents.models import Component, ComponentStatus, overall_status
from incidents.page_cache import cached_page
from statuspage.csp import embeddable

# --status-<indicator> in site.css.
COLOURS = {
    "none": "#1a7f37",
    "maintenance": "#0b5cad",
    "minor": "#8a5a00",
    "major": "#b04300",
    "critical": "#c01f2b",
}
LABEL_COLOUR = "#555555"  # 7.5:1 with white
COMPONENT_INDICATOR = {
    ComponentStatus.OPERATIONAL: "none",
    ComponentStatus.UNDER_MAINTENANCE: "maintenance",
    ComponentStatus.DEGRADED_PERFORMANCE: "minor",
    ComponentStatus.PARTIAL_OUTAGE: "major",
    ComponentStatus.MAJOR_OUTAGE: "critical",
}
BADGE_MAX_AGE = 60
# As many one-line items as the README's 320x140 iframe shows without a scrollbar.
WIDGET_ITEMS = 3
PADDING = 6

# Approximate advance widths of Verdana at 11 px; the SVG's textLength makes the text fit
# the box exactly whatever font the reader's system substitutes.
_NARROW = set("fijlrtI!|.,:;'()[] ")
_WIDE = set("mwMW@%")


def text_width(text: str) -> int:
    width = 0.0
    for char in text:
        if char in _NARROW:
            width += 3.9
        elif char in _WIDE:
            width += 10.0
        elif char.isupper() or char.isdigit():
            width += 7.5
        else:
            width += 6.6
    return round(width)


@dataclass(frozen=True)
class Badge:
    label: str
    message: str
    colour: str

    @property
    def label_text_width(self) -> int:
        return text_width(self.label)

    @property
    def message_text_width(self) -> int:
        return text_width(self.message)

    @property
    def label_width(self) -> int:
        return self.label_text_width + 2 * PADDING

    @property
    def message_width(self) -> int:
        return self.message_text_width + 2 * PADDING

    @property
    def width(self) -> int:
        return self.label_width + self.message_width

    @property
    def label_x(self) -> float:
        return self.label_width / 2

    @property
    def message_x(self) -> float:
        return self.label_width + self.message_width / 2

    @property
    def spoken(self) -> str:
        return f"{self.label}: {self.message}"


def _svg(badge: Badge) -> HttpResponse:
    svg = render_to_string("incidents/badges/badge.svg", {"badge": badge})
    response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
    response["Cache-Control"] = f"public, max-age={BADGE_MAX_AGE}"
    # An SVG opened on its own is a document: let it run nothing and load nothing. Any site
    # may show it, in an <img> or a frame.
    response["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors *"
    )
    return response


@xframe_options_exempt  # outside the cache, as for the widget
@require_safe
@cached_page
def overall_badge(request: HttpRequest) -> HttpResponse:
    overall = overall_status()
    return _svg(Badge(settings.SITE_NAME, overall.label, COLOURS[overall.indicator]))


@xframe_options_exempt
@require_safe
@cached_page
def component_badge(request: HttpRequest, pk: int) -> HttpResponse:
    component = get_object_or_404(Component, pk=pk)
    indicator = COMPONENT_INDICATOR[ComponentStatus(component.status)]
    name = str(component.localized("name"))
    return _svg(Badge(name, component.get_status_display(), COLOURS[indicator]))


@embeddable  # outside the cache: a cached copy must be framable too
@require_safe
@cached_page
def widget(request: HttpRequest) -> HttpResponse:
    """The overall status and what is happening now, for <iframe src=".../widget/">."""
    page = pages.status_page()
    happening = [
        *(("incident", i) for i in page.unresolved),
        *(("in_progress", m) for m in page.active_maintenance),
        *(("scheduled", m) for m in page.upcoming_maintenance[:2]),
    ]
    return render(
        request,
        "incidents/widget.html",
        {
            "page": page,
            "colour": COLOURS[page.overall.indicator],
            "colours": COLOURS,
            "items": happening[:WIDGET_ITEMS],
            "more": len(happening) - WIDGET_ITEMS,
        },
    )
