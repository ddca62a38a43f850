"""Every write that touches several models, as one atomic function per act.

The admin, the staff console, the API, management commands and periodic
tasks all call these, so a rule (which components change, what the
lifecycle allows) is written once. Each act also records its notice for the
fan-out in the same transaction (actions.* -> notifier.ledger).
"""

from actions.api_tokens import delete_api_token, issue_api_token, set_api_token_enabled
from actions.backfill import PastIncident, PastIncidentRefused, PastUpdate, backfill_incidents
from actions.components import (
    create_component,
    create_group,
    delete_component,
    delete_group,
    move_component,
    move_group,
    update_component,
    update_group,
)
from actions.incidents import (
    amend_incident,
    amend_incident_update,
    open_incident,
    post_incident_update,
    promise_in,
    resolve_incident,
    set_component_status,
)
from actions.maintenance import (
    cancel_maintenance,
    complete_maintenance,
    post_maintenance_note,
    postpone_maintenance,
    reschedule_maintenance,
    schedule_maintenance,
    start_maintenance,
    verify_maintenance,
)
from actions.maintenance_clock import advance_maintenance
from actions.past import ImportedHistory, importing_history
from actions.posts import (
    categories_named,
    delete_draft,
    publish_draft,
    publish_due_posts,
    publish_post,
    save_post_draft,
    tags_named,
    unpublish_post,
    update_post,
)
from actions.probes import set_status_by_probe
from actions.reminders import remind_due_maintenance
from actions.steps import Author, Channels, ComponentStatuses, EditConflict
from actions.translations import translate
from actions.webhooks import delete_webhook, register_webhook, set_webhook_enabled

__all__ = [
    "Author",
    "Channels",
    "ComponentStatuses",
    "EditConflict",
    "ImportedHistory",
    "PastIncident",
    "PastIncidentRefused",
    "PastUpdate",
    "advance_maintenance",
    "amend_incident",
    "amend_incident_update",
    "backfill_incidents",
    "cancel_maintenance",
    "categories_named",
    "complete_maintenance",
    "create_component",
    "create_group",
    "delete_api_token",
    "delete_component",
    "delete_draft",
    "delete_group",
    "delete_webhook",
    "importing_history",
    "issue_api_token",
    "move_component",
    "move_group",
    "open_incident",
    "post_incident_update",
    "post_maintenance_note",
    "postpone_maintenance",
    "promise_in",
    "publish_draft",
    "publish_due_posts",
    "publish_post",
    "register_webhook",
    "remind_due_maintenance",
    "reschedule_maintenance",
    "resolve_incident",
    "save_post_draft",
    "schedule_maintenance",
    "set_api_token_enabled",
    "set_component_status",
    "set_status_by_probe",
    "set_webhook_enabled",
    "start_maintenance",
    "tags_named",
    "translate",
    "unpublish_post",
    "update_component",
    "update_group",
    "update_post",
    "verify_maintenance",
]
