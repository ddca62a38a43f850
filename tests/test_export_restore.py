"""What an export holds (secrets only when asked), and how a restore refuses what it cannot
take: a site with content, another format version, a broken line, named by its number."""

from __future__ import annotations

import importlib
import io
import json

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

import actions
from actions.export import RestoreError, SiteNotEmpty, export_lines, restore_export
from console.models import MessageTemplate
from incidents.models import ApiToken, Component, Incident, IncidentUpdate
from notifier.models import Subscriber, WebhookEndpoint
from tests.export_render import empty_the_database
from tests.factories import make_component, utc

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_too]


def export_text(*, with_secrets: bool = False) -> str:
    return "".join(export_lines(with_secrets=with_secrets))


def rows_of(text: str, label: str) -> list[dict]:
    rows = [json.loads(line) for line in text.splitlines()[1:]]
    return [row for row in rows if row["model"] == label]


def restore(text: str) -> None:
    restore_export(io.StringIO(text))


@pytest.fixture
def site() -> dict[str, object]:
    staff = User.objects.create_user("ops", "ops@example.com", "a long passphrase")
    staff.groups.add(Group.objects.get(name="Editors"))
    webmail, imap = make_component("Webmail"), make_component("IMAP")
    incident = actions.open_incident(
        title="Webmail is slow",
        body="Looking into it.",
        component_statuses={webmail: "degraded_performance"},
        posted_at=utc(2015, 3, 2, 9, 30),
        author=staff,
    )
    subscriber = Subscriber.objects.create(email="reader@example.com", confirmed_at=utc(2014, 1, 1))
    subscriber.components.set([imap])
    endpoint = actions.register_webhook(url="https://hooks.example.com/status", components=[imap])
    _token, secret = ApiToken.issue("Nagios", ["read"], created_by=staff)
    TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    return {"incident": incident, "endpoint": endpoint, "token_secret": secret}


def test_it_writes_a_versioned_header_then_one_row_a_line(site):
    lines = export_text().splitlines()

    header = json.loads(lines[0])
    assert header["format"] == "statuspage-export"
    assert header["version"] == 1
    assert header["exported_at"].endswith("+00:00")
    assert header["counts"]["incidents.incident"] == 1
    assert sum(header["counts"].values()) == len(lines) - 1
    [update] = rows_of("\n".join(lines), "incidents.incidentupdate")
    assert update["fields"]["posted_at"] == "2015-03-02T09:30:00+00:00"


def test_subscribers_come_back_with_their_choices_and_consent_time(site):
    text = export_text()
    empty_the_database()
    restore(text)

    subscriber = Subscriber.objects.get()
    assert subscriber.email == "reader@example.com"
    assert subscriber.confirmed_at == utc(2014, 1, 1)
    assert list(subscriber.components.values_list("name", flat=True)) == ["IMAP"]


def test_without_secrets_it_leaves_out_credentials_and_restores_them_unusable(site):
    text = export_text()
    assert "a long passphrase" not in text
    assert rows_of(text, "incidents.apitoken") == []
    assert rows_of(text, "otp_totp.totpdevice") == []
    assert "password" not in rows_of(text, "auth.user")[0]["fields"]
    old_secret = site["endpoint"].secret
    assert old_secret not in text
    empty_the_database()

    restore(text)

    staff = User.objects.get(username="ops")
    assert not staff.has_usable_password()
    assert list(staff.groups.values_list("name", flat=True)) == ["Editors"]
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret and endpoint.secret != old_secret
    assert not ApiToken.objects.exists()


def test_with_secrets_the_restored_site_takes_the_same_credentials(site):
    text = export_text(with_secrets=True)
    empty_the_database()

    restore(text)

    assert User.objects.get(username="ops").check_password("a long passphrase")
    assert WebhookEndpoint.objects.get().secret == site["endpoint"].secret
    assert ApiToken.authenticate(site["token_secret"]) is not None
    assert TOTPDevice.objects.get().user.username == "ops"


def test_it_refuses_a_site_with_content_and_names_what_is_there(site):
    text = export_text()

    with pytest.raises(SiteNotEmpty, match=r"1 incidents\.incident\b.*1 notifier\.subscriber"):
        restore(text)
    assert Incident.objects.count() == 1


def test_the_rows_migrations_seed_leave_a_site_empty_and_the_file_decides_them(site):
    MessageTemplate.objects.filter(name="Investigating").delete()
    MessageTemplate.objects.create(name="Our own", body="Hello {time}")
    text = export_text()
    empty_the_database()
    importlib.import_module("console.migrations.0002_role_groups").create_groups(apps, None)
    importlib.import_module("console.migrations.0003_seed_message_templates").seed(apps, None)
    assert MessageTemplate.objects.filter(name="Investigating").exists()

    restore(text)

    names = set(MessageTemplate.objects.values_list("name", flat=True))
    assert "Our own" in names and "Investigating" not in names
    assert set(Group.objects.values_list("name", flat=True)) == {"Editors", "Admins"}


def test_a_failure_late_in_the_file_leaves_nothing(site):
    lines = export_text().splitlines()
    empty_the_database()
    lines[-1] = lines[-1].replace('"fields": {', '"fields": {"colour": "red", ', 1)

    with pytest.raises(RestoreError, match=rf"Line {len(lines)} .*no field 'colour'"):
        restore("\n".join(lines))
    assert not Component.objects.exists() and not User.objects.exists()


def broken(text: str, number: int, line: str) -> str:
    lines = text.splitlines()
    lines[number - 1] = line
    return "\n".join(lines)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: broken(t, 1, t.splitlines()[0].replace('"version": 1', '"version": 2')),
         r"Line 1: format version 2 is not one this site reads"),
        (lambda t: broken(t, 1, '{"format": "wxr"}'), r"Line 1 is not the header"),
        (lambda t: broken(t, 3, "{not json"), r"Line 3 is not JSON"),
        (lambda t: broken(t, 4, '{"model": "incidents.sheep", "pk": 1, "fields": {}}'),
         r"Line 4: unknown model 'incidents.sheep'"),
        (lambda t: broken(t, 2, "[1, 2]"), r"Line 2 is not a JSON object"),
        (lambda t: "\n".join(t.splitlines()[:-1]), r"promises 1 .* holds 0: it ends early"),
        (lambda t: "", r"The file is empty"),
    ],
)  # fmt: skip
def test_it_refuses_a_broken_file_naming_the_line(site, change, message):
    text = export_text()
    empty_the_database()

    with pytest.raises(RestoreError, match=message):
        restore(change(text))
    assert not Incident.objects.exists()


def test_it_refuses_times_without_a_zone_and_rows_out_of_order(site):
    text = export_text()
    empty_the_database()
    lines = text.splitlines()
    row = '"model": "incidents.incidentupdate"'
    number = next(n for n, line in enumerate(lines, 1) if row in line)
    naive = lines[number - 1].replace("2015-03-02T09:30:00+00:00", "2015-03-02T09:30:00")

    with pytest.raises(RestoreError, match=rf"Line {number} .*posted_at has no zone"):
        restore(broken(text, number, naive))
    moved = lines[:]
    moved.append(moved.pop(number - 1))
    with pytest.raises(RestoreError, match=r"incidents\.incidentupdate row after"):
        restore("\n".join(moved))


def test_it_refuses_a_row_pointing_at_a_row_the_file_lacks(site):
    text = export_text()
    empty_the_database()
    update = rows_of(text, "incidents.incidentupdate")[0]
    lines = text.splitlines()
    number = lines.index(json.dumps(update, ensure_ascii=False)) + 1
    update["fields"]["incident"] = 999

    with pytest.raises(RestoreError, match=r"points at a row the file does not hold"):
        restore(broken(text, number, json.dumps(update)))
    assert not IncidentUpdate.objects.exists()


def test_the_commands_write_a_file_and_load_it(site, tmp_path):
    path = tmp_path / "site.jsonl"
    err = io.StringIO()
    call_command("export", "--output", str(path), stderr=err)
    assert "secrets left out" in err.getvalue()
    assert path.stat().st_mode & 0o077 == 0  # subscribers' addresses: its owner's only
    empty_the_database()

    out = io.StringIO()
    call_command("import_export", str(path), stdout=out)

    assert "incidents.incident: 1" in out.getvalue()
    assert Incident.objects.get().title == "Webmail is slow"


def test_the_export_command_writes_to_standard_output_by_default(site, capsys):
    Component.objects.filter(name="IMAP").update(description="Mail for Ålesund")

    call_command("export")

    lines = capsys.readouterr().out.splitlines()
    assert json.loads(lines[0])["format"] == "statuspage-export"
    assert any("Mail for Ålesund" in line for line in lines)


def test_the_import_command_says_what_is_wrong_and_that_nothing_was_imported(site, tmp_path):
    path = tmp_path / "site.jsonl"
    path.write_bytes(b'{"format": "statuspage-export", "version": 1, "counts": {}}\n\xff\xfe\n')
    empty_the_database()

    with pytest.raises(CommandError, match=r"Line 2 is not UTF-8.*Nothing was imported"):
        call_command("import_export", str(path))
    with pytest.raises(CommandError, match=r"Cannot read .*missing"):
        call_command("import_export", str(tmp_path / "missing.jsonl"))
