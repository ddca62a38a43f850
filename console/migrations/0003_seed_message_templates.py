"""A few saved messages for the situations the Runbox seeds show again and again."""

from django.db import migrations

TEMPLATES = [
    {
        "name": "DDoS: update",
        "use": "incident",
        "title": "Email services disrupted by a DDoS attack",
        "body": (
            "UPDATE {time}: We are still under a distributed denial of service (DDoS) attack. "
            "{components} may be slow or unreachable.\n\n"
            "The attackers keep changing tactics, and we are working with our upstream "
            "providers to filter the traffic. No email is lost: incoming messages are queued "
            "and will be delivered.\n\n"
            "Next update by {next_update}."
        ),
    },
    {
        "name": "DDoS: resolved",
        "use": "incident",
        "title": "",
        "body": (
            "UPDATE {time}: The attack has been mitigated and {components} are operational "
            "again. Email queued during the attack is being delivered. We will keep monitoring "
            "closely. Thank you for your patience."
        ),
    },
    {
        "name": "Investigating",
        "use": "incident",
        "title": "",
        "body": (
            "UPDATE {time}: We are investigating problems with {components}. "
            "Next update by {next_update}."
        ),
    },
    {
        "name": "Maintenance announcement",
        "use": "maintenance",
        "title": "Scheduled maintenance and downtime",
        "body": (
            "In order to improve our email services we will perform maintenance with a "
            "scheduled downtime:\n\n"
            "**{window}**\n\n"
            "{components} will be unavailable while the work takes place. Incoming email will "
            "be queued on our servers and delivered once the work is done.\n\n"
            "## What you can do\n\n"
            "If you usually check your email during this time, please log on either well "
            "before or after it. Follow the updates on this page.\n\n"
            "## What we are doing\n\n"
            "(Describe the work: what is replaced or upgraded, and what it improves.)\n\n"
            "## Why it is being done\n\n"
            "(Explain the reason: reliability, performance, security.)\n\n"
            "We apologize for any inconvenience and appreciate your understanding."
        ),
    },
    {
        "name": "Maintenance: postponed (work reverted)",
        "use": "maintenance",
        "title": "",
        "body": (
            "UPDATE {time}: During the work we discovered a problem that must be solved first. "
            "The safest solution is to revert to the old setup and reschedule once it is done. "
            "All services are running as before. We will inform everyone when this will occur."
        ),
    },
]


def seed(apps, schema_editor):
    template = apps.get_model("console", "MessageTemplate")
    for fields in TEMPLATES:
        template.objects.get_or_create(name=fields["name"], defaults=fields)


def unseed(apps, schema_editor):
    template = apps.get_model("console", "MessageTemplate")
    template.objects.filter(name__in=[t["name"] for t in TEMPLATES]).delete()


class Migration(migrations.Migration):
    dependencies = [("console", "0002_role_groups")]

    operations = [migrations.RunPython(seed, unseed)]
