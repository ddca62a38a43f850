"""The staff API takes the other language with a publish and shows each row's languages."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from openapi_spec_validator import validate

from incidents.models import AuditEntry, Incident, Maintenance
from staffapi.router import _validation_error
from tests.factories import make_component, open_incident, oslo, schedule_maintenance

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_too]

OPENING = {"name": "IMAP logins fail", "body": "We are investigating failed IMAP logins."}
NORWEGIAN = {"title": "Innlogging til IMAP feiler", "body": "Vi undersøker feilede innlogginger."}
WINDOW = {
    "name": "Database replacement",
    "body": "We are replacing the database servers.",
    "scheduled_for": "2040-12-20T06:30:00+01:00",
    "scheduled_until": "2040-12-20T08:30:00+01:00",
}


def test_an_incident_opens_with_its_norwegian_texts_on_the_page_and_in_the_answer(api, client):
    imap = make_component("IMAP")

    response = api.call(
        "POST",
        "/incidents",
        {
            **OPENING,
            "components": {f"c{imap.pk}": "major_outage"},
            "translations": {"nb": NORWEGIAN},
        },
    )

    assert response.status_code == 201, response.data
    assert response.data["name"] == "IMAP logins fail"  # the answer is in the site's language
    assert response.data["language"] == "en"
    assert response.data["translations"] == {"nb": {"title": "Innlogging til IMAP feiler"}}
    [first] = response.data["incident_updates"]
    assert first["language"] == "en"
    assert first["translations"] == {"nb": {"body": "Vi undersøker feilede innlogginger."}}
    incident = Incident.objects.get()
    page = client.get(f"/nb/incidents/{incident.pk}/").content.decode()
    assert "<h1>Innlogging til IMAP feiler</h1>" in page
    assert "Vi undersøker feilede innlogginger." in page
    assert "<h1>IMAP logins fail</h1>" in client.get(f"/incidents/{incident.pk}/").content.decode()
    entry = AuditEntry.objects.get(action="incident.opened")
    assert entry.after["title_nb"] == "Innlogging til IMAP feiler"
    assert entry.actor_name == "ops (API token Monitoring)"
    [listed] = json.loads(client.get("/nb/api/v2/incidents.json").content)["incidents"]
    assert listed["name"] == "Innlogging til IMAP feiler"


def test_an_update_and_a_resolution_carry_their_norwegian_body(api, client):
    incident = open_incident("IMAP logins fail")

    updated = api.call(
        "POST",
        f"/incidents/i{incident.pk}/updates",
        {
            "status": "identified",
            "body": "A certificate expired.",
            "translations": {"nb": {"body": "Et sertifikat gikk ut."}},
        },
    )
    resolved = api.call(
        "POST",
        f"/incidents/i{incident.pk}/resolve",
        {"body": "Renewed.", "translations": {"nb": {"body": "Fornyet."}}},
    )

    assert updated.status_code == 201, updated.data
    assert updated.data["translations"] == {}  # the incident's title was given no translation
    newest = updated.data["incident_updates"][0]
    assert newest["body"] == "A certificate expired."
    assert newest["translations"] == {"nb": {"body": "Et sertifikat gikk ut."}}
    assert resolved.status_code == 200, resolved.data
    assert resolved.data["incident_updates"][0]["translations"] == {"nb": {"body": "Fornyet."}}
    page = client.get(f"/nb/incidents/{incident.pk}/").content.decode()
    assert "Et sertifikat gikk ut." in page and "Fornyet." in page
    read = api.call("GET", f"/incidents/i{incident.pk}")
    assert [u["translations"] for u in read.data["incident_updates"]][:2] == [
        {"nb": {"body": "Fornyet."}},
        {"nb": {"body": "Et sertifikat gikk ut."}},
    ]


def test_maintenance_is_scheduled_and_moved_with_its_norwegian_texts(api, client):
    created = api.call(
        "POST",
        "/scheduled-maintenances",
        {**WINDOW, "translations": {"nb": {"title": "Bytte av database", "body": "Vi bytter."}}},
    )
    path = f"/scheduled-maintenances/{created.data['id']}"
    noted = api.call(
        "POST",
        f"{path}/updates",
        {"body": "On track.", "translations": {"nb": {"body": "I rute."}}},
    )
    moved = api.call(
        "POST",
        f"{path}/reschedule",
        {
            "scheduled_for": "2040-12-21T06:30:00+01:00",
            "scheduled_until": "2040-12-21T08:30:00+01:00",
            "body": "Moved a day.",
            "translations": {"nb": {"body": "Flyttet en dag."}},
        },
    )

    assert created.status_code == 201, created.data
    assert created.data["language"] == "en"
    assert created.data["translations"] == {
        "nb": {"title": "Bytte av database", "body": "Vi bytter."}
    }
    assert noted.data["incident_updates"][0]["translations"] == {"nb": {"body": "I rute."}}
    assert moved.status_code == 200, moved.data
    assert moved.data["incident_updates"][0]["translations"] == {"nb": {"body": "Flyttet en dag."}}
    maintenance = Maintenance.objects.get()
    page = client.get(f"/nb{maintenance.get_absolute_url()}").content.decode()
    assert "Bytte av database" in page and "I rute." in page and "Flyttet en dag." in page


@pytest.mark.parametrize("act", ["start", "verify", "complete"])
def test_each_act_on_a_window_takes_a_norwegian_body(api, act):
    maintenance = schedule_maintenance(start=oslo(2040, 1, 12, 6, 30), end=oslo(2040, 1, 12, 8))
    path = f"/scheduled-maintenances/m{maintenance.pk}"
    if act != "start":
        api.call("POST", f"{path}/start", {})

    response = api.call("POST", f"{path}/{act}", {"translations": {"nb": {"body": "Ferdig."}}})

    assert response.status_code == 200, response.data
    assert response.data["incident_updates"][0]["translations"] == {"nb": {"body": "Ferdig."}}


def test_empty_texts_publish_without_a_translation(api):
    response = api.call("POST", "/incidents", {**OPENING, "translations": {"nb": {"title": ""}}})

    assert response.status_code == 201, response.data
    assert response.data["translations"] == {}
    assert Incident.objects.get().translations == {}


@pytest.mark.parametrize(
    ("translations", "field", "message"),
    [
        ({"de": {"title": "Langsam"}}, "translations.de", "Not a language of this site"),
        ({"en": {"title": "Slow"}}, "translations.en", "The original is in en"),
        ({"nb": {"summary": "Treg"}}, "translations.nb.summary", "Unknown field"),
        ({"nb": {"body": 42}}, "translations.nb.body", "Give a string"),
        ({"nb": {"title": None}}, "translations.nb.title", "Give a string"),
        ({"nb": {"title": "x" * 201}}, "translations.nb.title", "At most 200"),
        ({"nb": {"body": "x" * 20001}}, "translations.nb.body", "At most 20000"),
        ({"nb": {"title": "Treg\x00"}}, "translations.nb.title", "NUL"),
        (
            {"nb": {"body": "Fra {{time 2012-12-32 06:30 CET}}"}},
            "translations.nb.body",
            "2012-12-32 is not a date",
        ),
        ({"nb": "Treg"}, "translations.nb", "Give an object"),
        (["nb"], "translations", "Give an object"),
    ],
)
def test_a_bad_translation_is_a_400_naming_its_field(api, translations, field, message):
    response = api.call("POST", "/incidents", {**OPENING, "translations": translations})

    assert response.status_code == 400, response.data
    assert response.data["error"] == "invalid"
    assert response.data["field"] == field
    assert message.lower() in response.data["message"].lower()
    assert not Incident.objects.exists()


def test_an_update_or_an_act_translates_only_its_body(api):
    incident = open_incident()
    maintenance = schedule_maintenance(start=oslo(2040, 1, 12, 6, 30), end=oslo(2040, 1, 12, 8))
    title = {"nb": {"title": "Treg", "body": "Ser på det."}}

    update = api.call(
        "POST",
        f"/incidents/i{incident.pk}/updates",
        {"status": "identified", "body": "Found.", "translations": title},
    )
    note = api.call(
        "POST",
        f"/scheduled-maintenances/m{maintenance.pk}/updates",
        {"body": "On track.", "translations": title},
    )

    for refused in (update, note):
        assert refused.status_code == 400, refused.data
        assert refused.data["field"] == "translations.nb.title"
        assert "known: body" in refused.data["message"]
    assert incident.updates.count() == 1 and maintenance.updates.count() == 1


def test_what_the_actions_refuse_in_a_translation_names_it_as_the_api_does():
    by_field = _validation_error(ValidationError({"body_nb": ["At most 200 characters."]}))
    by_language = _validation_error(
        ValidationError({"translations": ["'de' is not another language of the site."]})
    )

    assert (by_field.status, by_field.field) == (400, "translations.nb.body")
    assert by_language.field == "translations"
    assert _validation_error(ValidationError({"scheduled_start": ["x"]})).field == "scheduled_for"


def test_a_site_in_one_language_refuses_translations_and_says_why(api, client, settings):
    settings.LANGUAGES = [("en", "English")]

    refused = api.call("POST", "/incidents", {**OPENING, "translations": {"nb": NORWEGIAN}})
    untranslated = api.call("POST", "/incidents", OPENING)
    document = json.loads(client.get("/api/staff/v1/openapi.json").content)

    assert refused.status_code == 400
    assert refused.data["field"] == "translations.nb"
    assert "in en only" in refused.data["message"]
    assert untranslated.status_code == 201
    assert untranslated.data["translations"] == {}
    validate(document)
    schema = document["components"]["schemas"]["NewIncident"]["properties"]["translations"]
    assert schema["maxProperties"] == 0


def test_the_document_describes_translations_wherever_text_is_published(client):
    document = json.loads(client.get("/api/staff/v1/openapi.json").content)
    schemas = document["components"]["schemas"]
    bodies = [
        spec["requestBody"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
        for methods in document["paths"].values()
        for spec in methods.values()
        if "requestBody" in spec
    ]

    publishing = [name for name in bodies if "body" in schemas[name]["properties"]]
    assert len(publishing) == 11  # every body but a component status change
    for name in publishing:
        properties = schemas[name]["properties"]
        texts = properties["translations"]
        assert texts["propertyNames"] == {"enum": ["nb"]}
        translated = {"title", "body"} if "name" in properties else {"body"}
        assert set(texts["additionalProperties"]["properties"]) == translated, name
    for name in ("Incident", "Maintenance"):
        assert {"language", "translations"} <= set(schemas[name]["required"])
        update = schemas[name]["properties"]["incident_updates"]["items"]
        assert {"language", "translations"} <= set(update["required"])
