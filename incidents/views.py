from __future__ import annotations

import re

from django.conf import settings
from django.db.models import QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponsePermanentRedirect,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.views.decorators.http import require_safe
from django.views.decorators.vary import vary_on_headers

from incidents import detail_pages, pages
from incidents.component_page import component_page
from incidents.models import Category, Post, Tag
from incidents.page_cache import cached_page, cached_page_reading
from incidents.templatetags.content import tr
from statuspage.http_types import HtmxRequest

PAGE_SUFFIX = re.compile(r"page/[0-9]+/$")


@require_safe
@cached_page
@vary_on_headers("HX-Request")
def status_page(request: HtmxRequest) -> HttpResponse:
    page = pages.status_page()
    template = "incidents/_status_body.html" if request.htmx else "incidents/status_page.html"
    return render(request, template, {"page": page, "updated_at": page.updated_at})


@require_safe
@cached_page
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    incident, posts = detail_pages.incident_page(pk)
    return render(
        request,
        "incidents/incident_detail.html",
        {
            "incident": incident,
            "posts": posts,
            "updated_at": incident.updated_at,
        },
    )


@require_safe
@cached_page
def maintenance_detail(request: HttpRequest, pk: int) -> HttpResponse:
    maintenance, posts = detail_pages.maintenance_page(pk)
    return render(
        request,
        "incidents/maintenance_detail.html",
        {
            "maintenance": maintenance,
            "posts": posts,
            "updated_at": maintenance.updated_at,
        },
    )


@require_safe
@cached_page_reading("page")
def history(request: HttpRequest, number: int = 0) -> HttpResponse:
    """The history; ?page=N is the Nth page counted from the front, as a reader counts.

    ?page=1 is /history/ and ?page=2 the page its "Older" link leads to, as on
    Statuspage's own history (the numbered addresses count from the oldest, see
    pages.HistoryLayout). Which page that is changes as items are added, so the
    redirect is temporary; a count past the oldest page is a 404.
    """
    if "page" in request.GET:
        counted = pages.page_number(request.GET)
        number = pages.history_number_from_front(counted, settings.HISTORY_PAGE_SIZE)
        return HttpResponseRedirect(pages.history_path(number))
    if number == 0 and request.path != reverse("history"):
        raise Http404("There is no such page.")  # /history/page/0/: the front has one address
    nav, months = pages.history_page(number, settings.HISTORY_PAGE_SIZE)
    updated_at = pages.newest(*(entry.item.updated_at for _, group in months for entry in group))
    return render(
        request,
        "incidents/history.html",
        {"nav": nav, "months": months, "updated_at": updated_at},
    )


def _canonical_page(request: HttpRequest, number: int) -> HttpResponse | None:
    """Pages live at .../page/N/ (static mirrors have no query strings); ?page=N moves there.

    A bad ?page= is a 400; page 1 lives at the listing's own address. Other
    parameters are not read (cached_page_reading leaves the view only ?page=).
    """
    first_page = PAGE_SUFFIX.sub("", request.path)
    if "page" in request.GET:
        wanted = pages.page_number(request.GET)
        return HttpResponsePermanentRedirect(pages.page_path(first_page, wanted))
    if number == 1 and first_page != request.path:
        return HttpResponsePermanentRedirect(first_page)
    return None


def _post_listing(
    request: HttpRequest,
    posts: QuerySet[Post],
    heading: str,
    extra: dict[str, object],
    *,
    number: int,
    first_page: str,
) -> HttpResponse:
    if moved := _canonical_page(request, number):
        return moved
    page = pages.paginate(posts, settings.BLOG_PAGE_SIZE, number)
    listed = list(page.object_list)
    context = {
        "page_obj": page,
        "posts": listed,
        "heading": heading,
        "categories": Category.objects.all(),
        "updated_at": pages.newest(*(p.updated_at for p in listed)),
        "first_page": first_page,
        **extra,
    }
    return render(request, "incidents/blog_index.html", context)


@require_safe
@cached_page_reading("page")
def blog_index(request: HttpRequest, number: int = 1) -> HttpResponse:
    posts = Post.objects.published().for_listing()
    return _post_listing(
        request, posts, gettext("Blog"), {}, number=number, first_page=reverse("blog_index")
    )


@require_safe
@cached_page_reading("page")
def blog_category(request: HttpRequest, slug: str, number: int = 1) -> HttpResponse:
    category = get_object_or_404(Category, slug=slug)
    posts = Post.objects.published().filter(categories=category).for_listing()
    return _post_listing(
        request,
        posts,
        tr(category, "name"),
        {"category": category},
        number=number,
        first_page=category.get_absolute_url(),
    )


def _tagged(tag: Tag) -> SafeString:
    """The tag page's heading, the tag's name in a `<span lang>` where untranslated."""
    before, _, after = (gettext("Tagged “%(tag)s”") % {"tag": "\0"}).partition("\0")
    return format_html("{}{}{}", before, tr(tag, "name"), after)


@require_safe
@cached_page_reading("page")
def blog_tag(request: HttpRequest, slug: str, number: int = 1) -> HttpResponse:
    tag = get_object_or_404(Tag, slug=slug)
    posts = Post.objects.published().filter(tags=tag).for_listing()
    return _post_listing(
        request,
        posts,
        _tagged(tag),
        {"tag": tag},
        number=number,
        first_page=tag.get_absolute_url(),
    )


@require_safe
@cached_page
def blog_post(request: HttpRequest, slug: str) -> HttpResponse:
    post = detail_pages.post_page(slug)
    return render(
        request, "incidents/post_detail.html", {"post": post, "updated_at": post.updated_at}
    )


@require_safe
@cached_page
def component_detail(request: HttpRequest, pk: int) -> HttpResponse:
    page = component_page(pk)
    return render(
        request,
        "incidents/component_detail.html",
        {"page": page, "component": page.component, "updated_at": page.updated_at},
    )
