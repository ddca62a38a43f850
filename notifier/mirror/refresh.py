"""The periodic refresh: what no publish re-rendered reaches the mirror too.

A publish re-renders the pages its notice changed. Some changes record no
notice: a component status set alone, an edit in the admin, the day turning
(the status page lists the last seven days). Every MIRROR_REFRESH_SECONDS,
beat compares each target with the site: when the publication token moved
since the target last showed everything, or the day turned, it renders every
listing (status page, history, blog, feeds, API, badges) and the pages of
the incidents, maintenance and posts changed since (MirrorChange). A failed
refresh leaves the comparison as it was, so the next tick tries again. Once
the last full build is MIRROR_FULL_BUILD_HOURS old, the refresh is a full
build: it drops pages of what was deleted and picks up template changes.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone

from incidents import timefmt
from incidents.models import Post
from notifier.mirror.models import MirrorChange, MirrorTarget
from notifier.mirror.site import in_every_language, unprefixed_listing_urls


def newest_change_id() -> int:
    """The id of the newest recorded page change: a cursor, not a time."""
    return MirrorChange.objects.aggregate(last=Max("id"))["last"] or 0


def full_build_due(state: MirrorTarget) -> bool:
    age = timedelta(hours=settings.MIRROR_FULL_BUILD_HOURS)
    return state.full_build_at is None or timezone.now() - state.full_build_at >= age


def refresh_due(state: MirrorTarget, token: str, now: datetime) -> bool:
    """Whether the site may show something the target does not."""
    if state.refreshed_at is None or state.token != token:
        return True
    if MirrorChange.objects.filter(id__gt=state.change_cursor).exists():
        return True
    # The status page lists the last seven days: a new day changes it with nothing saved.
    return timefmt.in_zone(state.refreshed_at).date() != timefmt.in_zone(now).date()


@in_every_language
def refresh_urls(state: MirrorTarget, cursor: int) -> list[str]:
    """Every listing, and the pages of what changed since the target's last refresh."""
    changes = MirrorChange.objects.filter(id__gt=state.change_cursor, id__lte=cursor)
    changed: dict[str, set[int]] = {"incident": set(), "maintenance": set(), "post": set()}
    for kind, object_id in changes.values_list("kind", "object_id"):
        changed[kind].add(object_id)
    published = Post.objects.published()
    for post in published.filter(pk__in=changed["post"]).only("incident_id", "maintenance_id"):
        if post.incident_id:
            changed["incident"].add(post.incident_id)
        if post.maintenance_id:
            changed["maintenance"].add(post.maintenance_id)
    # A post shows its incident's state, and an incident page lists its posts.
    about = published.filter(
        Q(pk__in=changed["post"])
        | Q(incident_id__in=changed["incident"])
        | Q(maintenance_id__in=changed["maintenance"])
    )
    return [
        *unprefixed_listing_urls(),
        *(reverse("incident_detail", args=[pk]) for pk in sorted(changed["incident"])),
        *(reverse("maintenance_detail", args=[pk]) for pk in sorted(changed["maintenance"])),
        *(post.get_absolute_url() for post in about.order_by("pk").only("slug")),
    ]


def shown(name: str, token: str, cursor: int, started: datetime, *, full: bool) -> None:
    """Record what the target now shows: the site as of `started` (token, changes)."""
    fields: dict[str, object] = {"token": token, "change_cursor": cursor, "refreshed_at": started}
    if full:
        fields["full_build_at"] = started
    MirrorTarget.objects.filter(name=name).update(**fields)


def note_unrendered(
    name: str, asked: list[str], skipped: dict[str, str], *, full: bool
) -> dict[str, str]:
    """Record which pages the target lacks or holds old because they failed to render.

    A full build asked for every page, so its list replaces the last; any other build
    clears the pages it asked for and rendered. Returns the target's list now.
    """
    state, _ = MirrorTarget.objects.get_or_create(name=name)
    unrendered = {} if full else dict(state.unrendered)
    for url in asked:
        unrendered.pop(url, None)
    unrendered.update(skipped)
    if unrendered != state.unrendered:
        MirrorTarget.objects.filter(name=name).update(unrendered=unrendered)
    return unrendered


def forget_shown_changes(names: list[str]) -> int:
    """Delete the changes every configured target has shown."""
    cursors = MirrorTarget.objects.filter(name__in=names).values_list("change_cursor", flat=True)
    if not names or len(cursors) < len(names):
        return 0  # a target that never refreshed still needs them
    return MirrorChange.objects.filter(id__lte=min(cursors)).delete()[0]
