"""Old addresses keep working: WordPress permalinks lead to what their posts were imported as.

Read-only and public: `/YYYY/MM/DD/slug/` and `/?p=ID` are answered with a permanent
redirect to the post, incident or maintenance page. `/` without a known `?p=` is the status
page as ever (its cache ignores the parameter like any other it does not read).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.utils import timezone
from django.views.decorators.http import require_safe

from importers.models import SourceKey, TargetKind
from incidents.models import Post
from incidents.views import status_page

WORDPRESS_SOURCES = Q(source__startswith="wordpress:")
READABLE_KINDS = (TargetKind.POST, TargetKind.INCIDENT, TargetKind.MAINTENANCE)


def _address(key: SourceKey | None) -> str | None:
    if key is None:
        return None
    if key.kind == TargetKind.POST:
        post = key.post
        if post is None or post.published_at is None or post.published_at > timezone.now():
            return None  # a draft's old address stays as unknown as the draft
    return str(key.target.get_absolute_url())  # type: ignore[attr-defined]


def _keys() -> QuerySet[SourceKey]:
    return (
        SourceKey.objects.filter(WORDPRESS_SOURCES, kind__in=READABLE_KINDS)
        .select_related("post", "incident", "maintenance")
        .order_by("-imported_at")
    )


@require_safe
def front_door(request: HttpRequest) -> HttpResponse:
    """`/?p=123` to where post 123 went; otherwise the status page, as `/` always was."""
    post_id = request.GET.get("p", "")
    if post_id.isdigit():
        address = _address(_keys().filter(source_id=post_id).first())
        if address:
            return HttpResponsePermanentRedirect(address)
    return status_page(request)


@require_safe
def permalink(request: HttpRequest, year: int, month: int, day: int, slug: str) -> HttpResponse:
    """`/2013/01/25/email-services-down-because-of-ddos/` to where that post went."""
    address = _address(_keys().filter(source_path=request.path).first())
    if address is None:
        post = Post.objects.published().filter(slug=slug).first()
        address = post.get_absolute_url() if post else None
    if address is None:
        raise Http404("No post was imported from this address.")
    return HttpResponsePermanentRedirect(address)
