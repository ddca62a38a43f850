"""What a notice says, rendered once and shared by email, X, Mastodon, webhooks and chats."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from urllib.parse import urlsplit

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from incidents import timefmt
from incidents.links import absolute
from incidents.models import Incident, IncidentUpdate, Maintenance, MaintenanceUpdate
from incidents.models.translations import Localized
from incidents.plaintext import markdown_to_text
from notifier.mail_headers import message_id
from notifier.models import Notice, NoticeKind

ROOT_KINDS = {
    NoticeKind.INCIDENT_OPENED,
    NoticeKind.MAINTENANCE_SCHEDULED,
    NoticeKind.POST_PUBLISHED,
}
# Stands in for each subscriber's own unsubscribe link in the once-rendered email.
UNSUBSCRIBE_MARKER = "UNSUBSCRIBE-URL-9f1c"


@dataclass(frozen=True)
class NoticeText:
    """The parts every channel draws from."""

    headline: str  # "Email services down because of DDoS: identified"
    title: str  # "Email services down because of DDoS": the same in every notice of it
    status: str
    body: str  # plain text of the update or post
    body_markdown: str
    url: str  # absolute link to the page
    posted_at: datetime
    when: str  # "00:45 CET"
    components: tuple[str, ...]
    next_update: str = ""  # "Next update by 01:15 CET" when the update promises one
    next_update_when: str = ""  # "01:15 CET": the time of that promise alone
    elsewhere: str = ""  # a reminder's start in the extra zones: "22:00 UTC / 17:00 EST"
    # The language of the title and of the body where staff have not translated them into
    # the reader's ("" where they are in it): a mail marks them, so they are read right.
    title_lang: str = ""
    body_lang: str = ""


def _foreign(text: Localized) -> str:
    return text.lang if text.untranslated else ""


@dataclass(frozen=True)
class Detail:
    """A fact a chat message shows below the update, as a label and value or as a line."""

    label: str  # "Next update", in the active language
    value: str  # "01:15 CET"
    line: str  # "Next update by 01:15 CET."
    key: str = ""  # "next_update", "window" or "affects": the same in every language


def notice_details(notice: Notice, text: NoticeText) -> tuple[Detail, ...]:
    """The promised next update, the window of maintenance not yet completed (in the site
    zone and each extra zone), and the services affected: those of them the notice has."""
    details = []
    if text.next_update:
        details.append(
            Detail(
                _("Next update"),
                text.next_update_when,
                f"{text.next_update}.",
                "next_update",
            )
        )
    work = notice.maintenance
    if work and notice.kind != NoticeKind.MAINTENANCE_COMPLETED:
        main, others = timefmt.window_everywhere(work.scheduled_start, work.scheduled_end)
        window = " / ".join([main, *(other.text for other in others)])
        line = _("Window: %(window)s") % {"window": window}
        details.append(Detail(_("Window"), window, line, "window"))
    if text.components:
        affected = ", ".join(text.components)
        line = _("Affects: %(services)s") % {"services": affected}
        details.append(Detail(_("Affects"), affected, line, "affects"))
    return tuple(details)


def valid_for(hours: int) -> str:
    """How long a link in a mail works, in the active language: "48 hours", "3 days"."""
    if hours < 72:
        return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
    days = hours // 24
    return ngettext("%(n)d day", "%(n)d days", days) % {"n": days}


def site_domain() -> str:
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def notice_text(notice: Notice) -> NoticeText:
    if notice.post_id:
        post = notice.post
        assert post is not None and post.published_at is not None
        title, excerpt = post.localized("title"), post.localized("excerpt")
        shown = f"[{post.label}] {title}" if post.label else str(title)
        return NoticeText(
            headline=shown,
            title=shown,
            status=_("Published"),
            body=markdown_to_text(excerpt),
            body_markdown=excerpt,
            url=absolute(post.get_absolute_url()),
            posted_at=post.published_at,
            when=timefmt.clock(post.published_at),
            components=(),
            title_lang=_foreign(title),
            body_lang=_foreign(excerpt),
        )
    subject: Incident | Maintenance | None
    update: IncidentUpdate | MaintenanceUpdate | None
    if notice.incident_id:
        incident = subject = notice.incident
        update = notice.incident_update
        assert incident is not None
        components = tuple(
            row.component.localized("name") for row in incident.affected_components()
        )
    else:
        maintenance = subject = notice.maintenance
        update = notice.maintenance_update
        assert maintenance is not None
        components = tuple(c.localized("name") for c in maintenance.affected_components())
    assert subject is not None and update is not None
    if notice.kind == NoticeKind.MAINTENANCE_REMINDER:
        assert isinstance(subject, Maintenance) and isinstance(update, MaintenanceUpdate)
        return reminder_text(notice, subject, update, components)
    title = subject.localized("title")
    if update.body:
        body_markdown = update.localized("body")
    elif isinstance(subject, Maintenance):
        body_markdown = subject.localized("body")  # a note without text: the announcement
    else:
        body_markdown = Localized("", subject.language)
    status = update.get_status_display()
    promised = getattr(update, "next_update_by", None)
    return NoticeText(
        headline=_("%(title)s: %(status)s") % {"title": title, "status": status.lower()},
        title=title,
        status=status,
        body=markdown_to_text(body_markdown),
        body_markdown=body_markdown,
        url=absolute(subject.get_absolute_url()),
        posted_at=update.posted_at,
        when=timefmt.clock(update.posted_at),
        components=components,
        next_update=timefmt.next_update_text(promised, update.posted_at) if promised else "",
        next_update_when=timefmt.clock_near(promised, update.posted_at) if promised else "",
        title_lang=_foreign(title),
        body_lang=_foreign(body_markdown) if body_markdown else "",
    )


def reminder_text(
    notice: Notice,
    maintenance: Maintenance,
    update: MaintenanceUpdate,
    components: tuple[str, ...],
) -> NoticeText:
    """'Maintenance starts in 60 minutes: <title>' at the start it reminded of (the window of
    the update then current), with the announcement as its body."""
    start = update.window_start or maintenance.scheduled_start
    lead = timefmt.lead_text(start - notice.created_at)
    title, body = maintenance.localized("title"), maintenance.localized("body")
    return NoticeText(
        headline=_("Maintenance starts in %(lead)s: %(title)s") % {"lead": lead, "title": title},
        title=title,
        status=_("Reminder"),
        body=markdown_to_text(body),
        body_markdown=body,
        url=absolute(maintenance.get_absolute_url()),
        posted_at=notice.created_at,
        when=timefmt.clock_near(start, notice.created_at),
        components=components,
        elsewhere=timefmt.moment_elsewhere(start),
        title_lang=_foreign(title),
        body_lang=_foreign(body) if body else "",
    )


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str
    message_id: str
    in_reply_to: str | None


@lru_cache(maxsize=64)
def _email_for(notice_id: int, created_at: datetime, language: str | None) -> RenderedEmail:
    notice = Notice.objects.select_related(
        "incident", "incident_update", "maintenance", "maintenance_update", "post"
    ).get(pk=notice_id)
    return render_email(notice)


def email_for(notice: Notice) -> RenderedEmail:
    """Rendered once per notice and language per process: a large list must not re-render
    per subscriber, and a mail rendered in one language is never sent in another."""
    # created_at is part of the key: a notice id can come back after a rollback. The
    # language too: the words are those of the language active when it is rendered.
    return _email_for(notice.pk, notice.created_at, translation.get_language())


def render_email(notice: Notice) -> RenderedEmail:
    text = notice_text(notice)
    context = {
        "notice": notice,
        "text": text,
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL,
        "stamp": timefmt.stamp(text.posted_at),
        "maintenance": notice.maintenance,
        "unsubscribe_url": UNSUBSCRIBE_MARKER,
    }
    root = message_id(notice.thread_key)
    is_root = notice.kind in ROOT_KINDS
    return RenderedEmail(
        subject=" ".join(render_to_string("emails/notice-subject.txt", context).split()),
        text=render_to_string("emails/notice-body.txt", context),
        html=render_to_string("emails/notice-body.html", context),
        message_id=root if is_root else message_id(f"{notice.thread_key}.{notice.pk}"),
        in_reply_to=None if is_root else root,
    )


def short_post(notice: Notice, *, limit: int, link_length: int) -> str:
    """Text for X or Mastodon: headline, time, the promised next update when it fits, as much
    of the body as fits, then the link."""
    text = notice_text(notice)
    head = f"{text.headline.rstrip('.')} ({text.when})"
    room = limit - link_length - 2  # the link, and the line breaks before it
    body = " ".join(text.body.split())
    message = head if len(head) <= room else head[: room - 1].rstrip() + "…"
    promise = f"{text.next_update}."
    if text.next_update and len(message) + 1 + len(promise) <= room:
        message += "\n" + promise
    if body and len(message) + 2 < room:
        space = room - len(message) - 2
        message += "\n" + (body if len(body) <= space else body[: space - 1].rstrip() + "…")
    return f"{message}\n{text.url}"
