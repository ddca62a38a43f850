"""Components in the console: add, edit, group, order, set status, delete safely; admins only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from incidents.models import AuditEntry, Component, ComponentGroup, ComponentStatus
from notifier.models import Subscriber
from tests.factories import make_component, make_group, open_incident

pytestmark = pytest.mark.django_db


def names_in_order(html: str, names: list[str]) -> list[str]:
    return sorted(names, key=html.index)


def test_add_a_group_and_components_and_see_them_on_the_status_page(signed_in, admin_user):
    client = signed_in(admin_user)
    assert client.get(reverse("console:components")).status_code == 200
    response = client.post(
        reverse("console:group_new"), {"name": "Mail", "description": "Sending and reading"}
    )
    assert response.status_code == 302
    mail = ComponentGroup.objects.get()
    form = client.get(reverse("console:component_new"), {"group": mail.pk}).content.decode()
    assert f'<option value="{mail.pk}" selected>Mail</option>' in form
    assert client.get(reverse("console:component_new"), {"group": "x"}).status_code == 200
    for name in ("IMAP", "SMTP"):
        response = client.post(
            reverse("console:component_new"),
            {"name": name, "description": f"{name} access", "group": mail.pk, "showcase": "on"},
        )
        assert response.status_code == 302
    imap, smtp = Component.objects.order_by("position")
    assert (imap.name, smtp.name) == ("IMAP", "SMTP") and imap.position < smtp.position
    assert imap.group == mail and imap.status == ComponentStatus.OPERATIONAL
    entry = AuditEntry.objects.get(action="component.created", object_id=str(imap.pk))
    assert entry.actor == admin_user and entry.after["name"] == "IMAP"

    page = client.get(reverse("status_page")).content.decode()
    assert "Mail" in page and names_in_order(page, ["SMTP", "IMAP"]) == ["IMAP", "SMTP"]


def test_reorder_with_up_and_down(signed_in, admin_user):
    mail = make_group("Mail")
    imap = make_component("IMAP", group=mail, position=1)
    smtp = make_component("SMTP", group=mail, position=2)
    webmail = make_component("Webmail", group=mail, position=3)
    client = signed_in(admin_user)
    url = reverse("console:component_move", args=[webmail.pk])
    response = client.post(url, {"direction": "up"})
    assert response.status_code == 302
    assert response["Location"].endswith(f"#component-{webmail.pk}")
    order = list(Component.objects.order_by("position").values_list("name", flat=True))
    assert order == ["IMAP", "Webmail", "SMTP"]
    page = client.get(reverse("status_page")).content.decode()
    assert names_in_order(page, ["IMAP", "SMTP", "Webmail"]) == ["IMAP", "Webmail", "SMTP"]
    # Both places changed: the component moved and the neighbour it swapped with.
    moved = AuditEntry.objects.filter(action="component.moved").order_by("id")
    assert [(e.object_id, e.before["position"], e.after["position"]) for e in moved] == [
        (str(webmail.pk), 3, 2),
        (str(smtp.pk), 2, 3),
    ]
    assert all(entry.actor == admin_user for entry in moved)

    # Already first: nothing moves, and the admin is told.
    client.post(reverse("console:component_move", args=[imap.pk]), {"direction": "up"})
    listing = client.get(reverse("console:components")).content.decode()
    assert "cannot move that way" in listing
    assert Component.objects.get(pk=imap.pk).position == 1
    assert AuditEntry.objects.filter(action="component.moved").count() == 2
    bad = client.post(reverse("console:component_move", args=[smtp.pk]), {"direction": "sideways"})
    assert bad.status_code == 302
    assert Component.objects.get(pk=smtp.pk).position == 3


def test_reorder_groups(signed_in, admin_user):
    mail = make_group("Mail", position=1)
    web = make_group("Web", position=2)
    make_component("IMAP", group=mail)
    make_component("Webmail", group=web)
    client = signed_in(admin_user)
    client.post(reverse("console:group_move", args=[web.pk]), {"direction": "up"})
    assert list(ComponentGroup.objects.order_by("position")) == [web, mail]
    page = client.get(reverse("status_page")).content.decode()
    assert names_in_order(page, ["IMAP", "Webmail"]) == ["Webmail", "IMAP"]
    moved = AuditEntry.objects.filter(action="group.moved").order_by("id")
    assert [(e.object_id, e.before["position"], e.after["position"]) for e in moved] == [
        (str(web.pk), 2, 1),
        (str(mail.pk), 1, 2),
    ]
    assert all(entry.actor == admin_user for entry in moved)


def test_a_move_that_renumbers_the_group_audits_every_component_whose_place_changed(
    signed_in, admin_user
):
    mail = make_group("Mail")
    imap = make_component("IMAP", group=mail, position=10)
    smtp = make_component("SMTP", group=mail, position=20)
    webmail = make_component("Webmail", group=mail, position=30)
    client = signed_in(admin_user)

    client.post(reverse("console:component_move", args=[imap.pk]), {"direction": "down"})

    positions = dict(Component.objects.values_list("name", "position"))
    assert positions == {"SMTP": 1, "IMAP": 2, "Webmail": 3}
    moved = AuditEntry.objects.filter(action="component.moved").order_by("id")
    assert [(e.object_id, e.before["position"], e.after["position"]) for e in moved] == [
        (str(imap.pk), 10, 2),
        (str(smtp.pk), 20, 1),
        (str(webmail.pk), 30, 3),
    ]
    page = client.get(reverse("console:component", args=[smtp.pk])).content.decode()
    assert "moved the component" in page


def test_edit_moves_to_another_group_last_and_audits_before_and_after(signed_in, admin_user):
    mail, web = make_group("Mail"), make_group("Web")
    make_component("Webmail", group=web, position=1)
    imap = make_component("IMAP", group=mail, position=1)
    client = signed_in(admin_user)
    response = client.post(
        reverse("console:component", args=[imap.pk]),
        {"name": "IMAP and POP", "description": "", "group": web.pk, "only_show_if_degraded": "on"},
    )
    assert response.status_code == 302
    imap.refresh_from_db()
    assert imap.name == "IMAP and POP" and imap.group == web and imap.position == 2
    assert not imap.showcase and imap.only_show_if_degraded
    entry = AuditEntry.objects.get(action="component.edited")
    assert entry.before["name"] == "IMAP" and entry.after["name"] == "IMAP and POP"
    assert entry.before["group_id"] == mail.pk and entry.after["group_id"] == web.pk
    assert "IMAP and POP" not in client.get(reverse("status_page")).content.decode()


def test_set_status_goes_through_the_action_and_shows_publicly(signed_in, admin_user):
    imap = make_component("IMAP")
    client = signed_in(admin_user)
    response = client.post(
        reverse("console:component_status", args=[imap.pk]), {"status": "partial_outage"}
    )
    assert response.status_code == 302
    imap.refresh_from_db()
    assert imap.status == ComponentStatus.PARTIAL_OUTAGE
    entry = AuditEntry.objects.get(action="component.status")
    assert entry.actor == admin_user and entry.after["status"] == "partial_outage"
    assert "Partial outage" in client.get(reverse("status_page")).content.decode()
    client.post(reverse("console:component_status", args=[imap.pk]), {"status": "on fire"})
    imap.refresh_from_db()
    assert imap.status == ComponentStatus.PARTIAL_OUTAGE
    assert AuditEntry.objects.filter(action="component.status").count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "imap"}, "There is already a component called"),
        ({"name": "   "}, "Give it a name."),
        ({"name": "x" * 101}, "at most 100 characters"),
        ({"name": "New", "group": "99999"}, "Select a valid choice"),
    ],
)
def test_bad_component_input_is_refused_on_the_form(signed_in, admin_user, data, message):
    make_component("IMAP")
    client = signed_in(admin_user)
    response = client.post(reverse("console:component_new"), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Component.objects.count() == 1
    assert not AuditEntry.objects.filter(action="component.created").exists()


def test_renaming_onto_another_name_is_refused(signed_in, admin_user):
    make_component("IMAP")
    smtp = make_component("SMTP")
    client = signed_in(admin_user)
    response = client.post(reverse("console:component", args=[smtp.pk]), {"name": "IMAP"})
    assert response.status_code == 400
    assert "There is already a component called" in response.content.decode()
    smtp.refresh_from_db()
    assert smtp.name == "SMTP"
    response = client.post(reverse("console:group_new"), {"name": ""})
    assert response.status_code == 400 and "Give it a name." in response.content.decode()


def test_a_component_with_history_cannot_be_deleted(signed_in, admin_user):
    imap = make_component("IMAP")
    open_incident("Logins fail", components={imap: ComponentStatus.MAJOR_OUTAGE})
    client = signed_in(admin_user)
    page = client.get(reverse("console:component", args=[imap.pk])).content.decode()
    assert "stays" in page and "Delete IMAP" not in page
    response = client.post(reverse("console:component_delete", args=[imap.pk]))
    assert response.status_code == 302
    assert Component.objects.filter(pk=imap.pk).exists()
    follow = client.get(response["Location"]).content.decode()
    assert "1 incident(s)" in follow and "Untick" in follow
    assert not AuditEntry.objects.filter(action="component.deleted").exists()


def test_a_component_a_subscriber_chose_cannot_be_deleted(signed_in, admin_user):
    imap = make_component("IMAP")
    Subscriber.objects.create(email="reader@example.com").components.add(imap)
    client = signed_in(admin_user)
    client.post(reverse("console:component_delete", args=[imap.pk]))
    assert Component.objects.filter(pk=imap.pk).exists()


def test_an_unused_component_is_deleted_with_an_audit_entry(signed_in, admin_user):
    spare = make_component("Spare")
    client = signed_in(admin_user)
    response = client.post(reverse("console:component_delete", args=[spare.pk]))
    assert response.status_code == 302
    assert not Component.objects.filter(pk=spare.pk).exists()
    entry = AuditEntry.objects.get(action="component.deleted")
    assert entry.before["name"] == "Spare" and entry.after is None


def test_only_an_empty_group_is_deleted(signed_in, admin_user):
    mail = make_group("Mail")
    imap = make_component("IMAP", group=mail)
    client = signed_in(admin_user)
    client.post(reverse("console:group_delete", args=[mail.pk]))
    assert ComponentGroup.objects.filter(pk=mail.pk).exists()
    imap.delete()
    client.post(reverse("console:group_delete", args=[mail.pk]))
    assert not ComponentGroup.objects.exists()
    assert AuditEntry.objects.filter(action="group.deleted").exists()


def test_group_rename_is_audited(signed_in, admin_user):
    mail = make_group("Mail")
    make_group("Web")
    client = signed_in(admin_user)
    refused = client.post(reverse("console:group", args=[mail.pk]), {"name": "web"})
    assert refused.status_code == 400 and "already a group" in refused.content.decode()
    client.post(reverse("console:group", args=[mail.pk]), {"name": "Email"})
    mail.refresh_from_db()
    assert mail.name == "Email"
    entry = AuditEntry.objects.get(action="group.edited")
    assert (entry.before["name"], entry.after["name"]) == ("Mail", "Email")


@pytest.mark.parametrize(
    "name", ["console:components", "console:component_new", "console:group_new"]
)
def test_editors_are_refused_and_admins_let_in(signed_in, editor, admin_user, client, name):
    url = reverse(name)
    assert client.get(url)["Location"].startswith(reverse("console:login"))
    assert signed_in(editor).get(url).status_code == 403
    assert signed_in(admin_user).get(url).status_code == 200


def test_an_editor_cannot_set_a_status_here(signed_in, editor):
    imap = make_component("IMAP")
    response = signed_in(editor).post(
        reverse("console:component_status", args=[imap.pk]), {"status": "major_outage"}
    )
    assert response.status_code == 403
    imap.refresh_from_db()
    assert imap.status == ComponentStatus.OPERATIONAL
