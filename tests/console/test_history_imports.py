"""The Statuspage and Cachet import in the console: upload, preview the dry run, apply."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from importers import uploads
from incidents.models import Component, Incident, Maintenance
from notifier.models import Subscriber
from tests.importers.conftest import EXAMPLE, FIXTURES

pytestmark = pytest.mark.django_db
CACHET = FIXTURES / "cachet"
URL = "/staff/imports/history/"


@pytest.fixture(autouse=True)
def upload_dir(settings, tmp_path: Path) -> Path:
    settings.IMPORT_UPLOAD_DIR = str(tmp_path / "uploads")
    return tmp_path / "uploads" / "statuspage-import-uploads"


def files(folder: Path, *names: str) -> list[SimpleUploadedFile]:
    return [SimpleUploadedFile(n, (folder / n).read_bytes(), "application/json") for n in names]


def statuspage_files() -> list[SimpleUploadedFile]:
    return files(EXAMPLE, "summary.json", "incidents.json", "scheduled-maintenances.json")


def kept(upload_dir: Path) -> list[Path]:
    return list(upload_dir.iterdir()) if upload_dir.exists() else []


def test_a_statuspage_upload_is_previewed_exactly_then_applied(
    signed_in, admin_user, upload_dir, django_capture_on_commit_callbacks
):
    client = signed_in(admin_user)
    csv = SimpleUploadedFile("subscribers.csv", (EXAMPLE / "subscribers.csv").read_bytes())
    response = client.post(
        URL, {"source": "statuspage", "exports": statuspage_files(), "subscribers": csv}
    )
    assert response.status_code == 302, response.content.decode()
    page = client.get(response["Location"]).content.decode()
    # Nothing written yet, and the preview is the dry run's report, item by item.
    assert not Incident.objects.exists() and not Component.objects.exists()
    assert "subscriber: 3 asked to confirm" in page
    assert "skipped: 3 sms subscribers, as a number cannot be asked to confirm again" in page
    assert "skipped: 2 sms subscribers whose number is not a mobile number we can text" in page
    assert "component created: Git Operations" in page
    [folder] = kept(upload_dir)
    assert oct(folder.stat().st_mode & 0o777) == "0o700"
    assert (folder / "subscribers" / "subscribers.csv").is_file()

    with django_capture_on_commit_callbacks(execute=False):
        applied = client.post(f"{response['Location']}apply/", follow=True)
    text = applied.content.decode()
    assert "Imported Atlassian Statuspage (summary.json, incidents.json" in text
    assert "Nobody was notified." in text
    assert Incident.objects.count() > 0 and Maintenance.objects.count() > 0
    assert Component.objects.filter(name="Git Operations").exists()
    assert not Subscriber.objects.exists()  # asked to confirm again, not stored
    assert kept(upload_dir) == []  # removed after apply
    # The preview is gone with it.
    assert client.get(response["Location"]).status_code == 404


def test_the_preview_counts_match_what_apply_does(signed_in, admin_user):
    client = signed_in(admin_user)
    response = client.post(URL, {"source": "statuspage", "exports": statuspage_files()})
    pending = uploads.load(response["Location"].rstrip("/").rsplit("/", 1)[1])
    client.post(f"{response['Location']}apply/")
    incidents = [line for line in pending.summary if line.startswith("incident:")]
    assert incidents == [f"incident: {Incident.objects.count()} created"]


def test_a_cachet_dump_as_several_files_needs_its_zone(signed_in, admin_user, upload_dir):
    client = signed_in(admin_user)
    names = [p.name for p in sorted(CACHET.glob("*.json"))]
    response = client.post(URL, {"source": "cachet", "exports": files(CACHET, *names)})
    assert response.status_code == 400
    assert "Nothing was imported" in response.content.decode()
    assert "carries no zone; say which zone the source&#x27;s times are in in the zone field" in (
        response.content.decode()
    )
    assert kept(upload_dir) == []  # a refused upload is not kept

    response = client.post(
        URL, {"source": "cachet", "exports": files(CACHET, *names), "zone": "Europe/Oslo"}
    )
    assert response.status_code == 302
    client.post(f"{response['Location']}apply/")
    assert Incident.objects.filter(title="Webmail login failures", status="resolved").exists()


def test_a_cachet_dump_in_one_file(signed_in, admin_user, tmp_path):
    lists = {
        p.stem: json.loads(p.read_text())["data"] if "data" in p.read_text() else []
        for p in CACHET.glob("*.json")
    }
    dump = SimpleUploadedFile("cachet-dump.json", json.dumps(lists).encode())
    client = signed_in(admin_user)
    response = client.post(URL, {"source": "cachet", "exports": [dump], "zone": "Europe/Oslo"})
    assert response.status_code == 302, response.content.decode()
    page = client.get(response["Location"]).content.decode()
    assert "incident created: Webmail login failures" in page
    client.post(f"{response['Location']}apply/")
    assert Incident.objects.filter(title="Webmail login failures").exists()


def test_a_bad_file_is_refused_naming_the_file_and_the_item(signed_in, admin_user, upload_dir):
    text = (
        (EXAMPLE / "incidents.json").read_text().replace('"impact": "major"', '"impact": "huge"', 1)
    )
    broken = SimpleUploadedFile("incidents.json", text.encode())
    client = signed_in(admin_user)
    response = client.post(URL, {"source": "statuspage", "exports": [broken]})
    text = response.content.decode()
    assert response.status_code == 400
    assert "incidents.json, incident 69sb0f8lydp4: unknown impact &#x27;huge&#x27;" in text
    assert str(upload_dir) not in text  # the upload's private folder is not shown
    assert not Incident.objects.exists() and kept(upload_dir) == []

    garbage = SimpleUploadedFile("summary.json", b"{not json")
    response = client.post(URL, {"source": "statuspage", "exports": [garbage]})
    assert response.status_code == 400
    assert "summary.json" in response.content.decode()


def test_the_form_asks_for_one_source_of_each_kind(signed_in, admin_user):
    client = signed_in(admin_user)
    nothing = client.post(URL, {"source": "statuspage"})
    assert nothing.status_code == 400
    assert "Upload the page&#x27;s JSON files or give its address" in nothing.content.decode()
    both = client.post(
        URL,
        {
            "source": "statuspage",
            "exports": statuspage_files(),
            "url": "https://status.example.com",
        },
    )
    assert both.status_code == 400
    csv = SimpleUploadedFile("subscribers.csv", b"Type,Email\n")
    cachet = client.post(URL, {"source": "cachet", "subscribers": csv})
    assert "Choose the Cachet dump to upload." in cachet.content.decode()
    assert "Cachet&#x27;s subscribers come with its dump." in cachet.content.decode()
    assert (
        client.post(URL, {"source": "cachet", "exports": [], "zone": "Mars/Olympus"}).status_code
        == 400
    )


def test_an_upload_over_the_limit_is_refused(signed_in, admin_user, settings, upload_dir):
    settings.IMPORT_UPLOAD_MAX_BYTES = 100
    response = signed_in(admin_user).post(
        URL, {"source": "statuspage", "exports": statuspage_files()}
    )
    assert response.status_code == 400
    assert "IMPORT_UPLOAD_MAX_BYTES" in response.content.decode()
    assert kept(upload_dir) == []


def test_an_upload_left_unapplied_is_removed_after_its_time(
    signed_in, admin_user, settings, upload_dir
):
    client = signed_in(admin_user)
    response = client.post(URL, {"source": "statuspage", "exports": statuspage_files()})
    [folder] = kept(upload_dir)
    uploads.remove_stale(now=folder.stat().st_mtime + settings.IMPORT_UPLOAD_MAX_AGE + 1)
    assert kept(upload_dir) == []
    applied = client.post(f"{response['Location']}apply/", follow=True)
    assert "applied or has expired" in applied.content.decode()
    assert not Incident.objects.exists()


def test_uploaded_names_cannot_leave_the_folder():
    assert uploads.safe_name("../../etc/passwd") == "passwd"
    assert uploads.safe_name("C:\\exports\\incidents.json") == "incidents.json"
    assert uploads.safe_name("..") == "upload.json"


def test_editors_may_not_import(signed_in, editor, upload_dir):
    client = signed_in(editor)
    assert client.get(URL).status_code == 403
    response = client.post(URL, {"source": "statuspage", "exports": statuspage_files()})
    assert response.status_code == 403
    assert kept(upload_dir) == [] and not Incident.objects.exists()


def test_a_discarded_upload_is_removed_and_nothing_imported(signed_in, admin_user, upload_dir):
    client = signed_in(admin_user)
    response = client.post(URL, {"source": "statuspage", "exports": statuspage_files()})
    assert len(kept(upload_dir)) == 1
    discarded = client.post(f"{response['Location']}discard/", follow=True)
    assert "The upload was removed; nothing was imported." in discarded.content.decode()
    assert kept(upload_dir) == [] and not Incident.objects.exists()
