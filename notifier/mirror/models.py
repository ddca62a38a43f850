"""One row per mirror target, shared by every worker on every machine.

It holds the target's publish lock (a lease: a worker that died frees it when
the lease runs out) and what the target last showed in full, which the
periodic refresh compares with the live site's publication token.
"""

from __future__ import annotations

from django.db import models


class MirrorTarget(models.Model):
    name = models.CharField(max_length=40, primary_key=True)  # the channel's name
    locked_by = models.CharField(max_length=32, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)
    # The publication token when the last full build or refresh began rendering, and when.
    token = models.CharField(max_length=64, blank=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)
    full_build_at = models.DateTimeField(null=True, blank=True)
    change_cursor = models.BigIntegerField(default=0)  # MirrorChange ids up to this are shown
    # The last refresh's outcome: a failed one is tried again at the next tick.
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_result = models.CharField(max_length=200, blank=True)
    last_error = models.TextField(blank=True)
    # Pages that failed to render ({url: error}): the target holds their last good copy, or
    # none. A full build sets it afresh; other builds drop the pages they rendered this time.
    unrendered = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def unrendered_report(self) -> str:
        """What staff read: "2 pages could not be rendered: /incidents/7/ (ValueError: ...)"."""
        if not self.unrendered:
            return ""
        noun = "page" if len(self.unrendered) == 1 else "pages"
        pages = "; ".join(f"{url} ({error})" for url, error in sorted(self.unrendered.items()))
        return f"{len(self.unrendered)} {noun} could not be rendered: {pages}"


class MirrorChange(models.Model):
    """A page-owning object changed: written with the change, read by the periodic refresh.

    Publishes re-render their own pages, but an edit in the admin, or a status
    set without a notice, changes pages nobody re-renders: the refresh renders
    the pages of the objects recorded here since each target's cursor.
    """

    kind = models.CharField(max_length=12)  # incident, maintenance or post
    object_id = models.BigIntegerField()
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id}"
