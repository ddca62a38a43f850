"""The Outbox: mails the embedded server caught, as subscribers would get them.

Only with the default settings (EMAIL_URL unset); with a real relay there is nothing to show,
and the page is a 404.
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from console.access import editor_view
from notifier.outbox import LIST_LIMIT, caught_mail, caught_mails, threads


def _require_embedded() -> None:
    if not settings.EMBEDDED_SMTP:
        raise Http404("Mail goes to a real server (EMAIL_URL); there is no outbox.")


@editor_view
def outbox(request: HttpRequest) -> HttpResponse:
    _require_embedded()
    mails = caught_mails(settings.OUTBOX_DIR)
    context = {"threads": threads(mails), "count": len(mails), "limit": LIST_LIMIT}
    return render(request, "console/outbox/list.html", context)


@editor_view
def outbox_mail(request: HttpRequest, key: str) -> HttpResponse:
    _require_embedded()
    mail = caught_mail(settings.OUTBOX_DIR, key)
    if mail is None:
        raise Http404("No such mail in the outbox.")
    return render(request, "console/outbox/mail.html", {"mail": mail, "key": key})
