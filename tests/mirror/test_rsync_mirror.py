"""The mirror's rsync target: a real sshd on loopback receives the site with the real rsync.

The sshd runs on this machine, so what it received is read back from the directory the target
names. Faults: the server down or silent (transient, then it works), a wrong key or host key
(permanent, said plainly), a full disk (transient); the files already there stay as they were.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core import mail

import actions
from incidents.models import ComponentStatus, Incident, IncidentStatus
from notifier import dispatch
from notifier.channels.base import TransportError
from notifier.mirror.rsync import RsyncMirrorChannel
from notifier.models import Delivery, DeliveryState
from notifier.registry import channel_named
from tests.factories import make_component, open_incident
from tests.servers.sshd import SshServer

pytestmark = [pytest.mark.django_db]

NEWS = "Logins work again; we are watching the IMAP servers."


@pytest.fixture(scope="module")
def sshd() -> Iterator[SshServer]:
    with SshServer() as server:
        yield server


@pytest.fixture
def remote(settings, sshd: SshServer, tmp_path: Path) -> Path:
    """MIRROR_RSYNC_* aimed at a fresh directory behind the sshd; the other channels off."""
    sshd.start()  # a test before may have stopped it
    directory = tmp_path / "remote" / "mirror"
    directory.parent.mkdir()
    settings.MIRROR_RSYNC_TARGET = sshd.target(directory)
    settings.MIRROR_RSYNC_SSH_KEY = str(sshd.client_key)
    settings.MIRROR_RSYNC_PORT = sshd.port
    settings.MIRROR_RSYNC_KNOWN_HOSTS = str(sshd.known_hosts)
    settings.MIRROR_RSYNC_TIMEOUT = 5
    settings.MIRROR_LOCAL_DIR = settings.MIRROR_S3_BUCKET = ""
    settings.VAR_DIR = tmp_path
    settings.STATIC_ROOT = str(tmp_path / "no-collectstatic")
    settings.X_API_KEY = settings.MASTODON_ACCESS_TOKEN = ""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    return directory


def delivery_of(incident: Incident) -> Delivery:
    return Delivery.objects.filter(notice__incident=incident, channel="mirror_rsync").latest("id")


def send(delivery: Delivery) -> Delivery:
    dispatch.run([delivery.pk])
    return Delivery.objects.get(pk=delivery.pk)


def post_news(incident: Incident) -> Delivery:
    actions.post_incident_update(incident, status=IncidentStatus.MONITORING, body=NEWS)
    return delivery_of(incident)


def snapshot(directory: Path) -> dict[str, tuple[int, int, bytes]]:
    """Every file: its path, inode, mtime and bytes."""
    return {
        path.relative_to(directory).as_posix(): (
            path.stat().st_ino,
            path.stat().st_mtime_ns,
            path.read_bytes(),
        )
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


@pytest.fixture
def published(remote: Path) -> Incident:
    """An incident opened and mirrored (the first publish: a full build)."""
    imap = make_component("IMAP")
    incident = open_incident("IMAP logins failing", components={imap: ComponentStatus.MAJOR_OUTAGE})
    delivery = send(delivery_of(incident))
    assert delivery.state == DeliveryState.SENT, delivery.last_error
    return incident


def test_a_publish_sends_the_site_and_the_next_one_only_what_changed(remote, published):
    first = delivery_of(published)
    assert first.reference.endswith("(full build)")
    page = f"incidents/{published.pk}/index.html"
    for path in ("index.html", page, "feed.atom", "api/v2/summary.json", "static/css/site.css"):
        assert (remote / path).is_file(), path
    assert b"IMAP logins failing" in (remote / "index.html").read_bytes()
    assert b"IMAP logins failing" in (remote / "feed.atom").read_bytes()
    assert (remote / "index.html").stat().st_mode & 0o777 == 0o644  # readable by the web server
    assert (remote / ".full-build").read_text().startswith(str(published.created_at.year))
    assert remote.stat().st_mode & 0o777 == 0o755

    # Another incident's page is not part of the next publish; a file of the host's own too.
    other = open_incident("Webmail slow")
    assert send(delivery_of(other)).state == DeliveryState.SENT
    (remote / "kept.txt").write_text("not ours")
    before = snapshot(remote)

    second = send(post_news(published))

    assert second.state == DeliveryState.SENT, second.last_error
    assert second.reference.endswith("(incremental)")
    after = snapshot(remote)
    for path in ("index.html", page, "feed.atom", "api/v2/summary.json"):
        assert NEWS.encode() in after[path][2], path
    unchanged = f"incidents/{other.pk}/index.html"
    assert after[unchanged] == before[unchanged]  # not sent again: same inode, time and bytes
    assert after["static/css/site.css"] == before["static/css/site.css"]
    assert after["kept.txt"] == before["kept.txt"]  # an incremental publish never deletes
    assert int(second.reference.split()[0]) < int(first.reference.split()[0])
    assert not [p for p in after if "~tmp~" in p]

    # A full build leaves only the site: what the site no longer has goes.
    assert channel_named("mirror_rsync").build(full=True).endswith("(full build)")
    assert not (remote / "kept.txt").exists()
    assert (remote / ".full-build").exists()
    assert NEWS.encode() in (remote / "index.html").read_bytes()


def test_an_unreachable_host_is_retried_and_the_mirror_is_sent_when_it_is_back(
    remote, published, sshd
):
    before = snapshot(remote)
    sshd.stop()
    try:
        delivery = send(post_news(published))

        assert delivery.state == DeliveryState.RETRYING
        assert "could not reach the host" in delivery.last_error
        assert "Connection refused" in delivery.last_error
        assert f"port {sshd.port}" in delivery.last_error
        assert snapshot(remote) == before
    finally:
        sshd.start()  # the same port and keys

    delivery = send(delivery)
    assert (delivery.state, delivery.attempts) == (DeliveryState.SENT, 2)
    assert NEWS.encode() in (remote / "index.html").read_bytes()


def test_a_host_that_never_answers_times_out_as_a_transient_failure(remote, settings):
    with socket.socket() as silent:  # accepts connections (the kernel does) but never speaks
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        settings.MIRROR_RSYNC_PORT = silent.getsockname()[1]
        settings.MIRROR_RSYNC_TIMEOUT = 1

        delivery = send(delivery_of(open_incident("IMAP logins failing")))

    assert delivery.state == DeliveryState.RETRYING
    assert "timed out" in delivery.last_error
    assert not remote.exists()


def test_a_key_the_host_refuses_fails_for_good_with_a_clear_message(
    remote, published, settings, sshd
):
    before = snapshot(remote)
    settings.MIRROR_RSYNC_SSH_KEY = str(sshd.other_key)

    delivery = send(post_news(published))

    assert (delivery.state, delivery.attempts) == (DeliveryState.FAILED, 1)
    assert "the SSH login was refused (check MIRROR_RSYNC_SSH_KEY" in delivery.last_error
    assert "Permission denied (publickey)" in delivery.last_error
    assert snapshot(remote) == before

    # Mended: the next publish also brings the pages of the notice given up on.
    settings.MIRROR_RSYNC_SSH_KEY = str(sshd.client_key)
    later = send(delivery_of(open_incident("Webmail slow")))
    assert later.reference.endswith("(incremental, 1 missed caught up)"), later.reference
    assert NEWS.encode() in (remote / f"incidents/{published.pk}/index.html").read_bytes()


@pytest.mark.parametrize("known", ["another key", "no key"])
def test_a_host_key_that_is_not_the_known_one_is_never_accepted(
    remote, settings, sshd, tmp_path, known
):
    known_hosts = tmp_path / "known_hosts"
    # Another host's key under this address, or an empty file: either way no login.
    other = (sshd.other_key.with_suffix(".pub")).read_text()
    known_hosts.write_text(f"[127.0.0.1]:{sshd.port} {other}" if known == "another key" else "")
    settings.MIRROR_RSYNC_KNOWN_HOSTS = str(known_hosts)

    delivery = send(delivery_of(open_incident("IMAP logins failing")))

    assert delivery.state == DeliveryState.FAILED
    assert f"the host's key is not the one in {known_hosts}" in delivery.last_error
    assert "Host key verification failed" in delivery.last_error
    assert known_hosts.read_text().count("\n") <= 1  # nothing was added
    assert not remote.exists()


@contextlib.contextmanager
def small_disk(path: Path, size: str) -> Iterator[None]:
    path.mkdir(parents=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
        capture_output=True,
        text=True,
        timeout=10,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True, timeout=10)


def fill(path: Path) -> Path:
    filler = path / "filler"
    # Unbuffered: closing it then has nothing left to write to the full disk.
    with open(filler, "wb", buffering=0) as out, contextlib.suppress(OSError):
        while True:
            out.write(b"\0" * 65536)
            out.flush()
            os.fsync(out.fileno())
    return filler


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("mount"), reason="needs root to mount")
def test_a_full_disk_on_the_host_is_transient_and_leaves_the_mirror_as_it_was(
    remote, settings, sshd
):
    disk = remote.parent / "disk"
    with small_disk(disk, "10m"):  # a build of both languages, with room to spare
        settings.MIRROR_RSYNC_TARGET = sshd.target(disk / "mirror")
        incident = open_incident("IMAP logins failing")
        assert send(delivery_of(incident)).state == DeliveryState.SENT
        filler = fill(disk)
        before = snapshot(disk / "mirror")

        delivery = send(post_news(incident))

        assert delivery.state == DeliveryState.RETRYING
        assert "the remote disk is full" in delivery.last_error
        assert "No space left on device" in delivery.last_error
        assert snapshot(disk / "mirror") == before

        filler.unlink()
        assert send(delivery).state == DeliveryState.SENT
        assert NEWS.encode() in (disk / "mirror" / "index.html").read_bytes()


def test_settings_that_cannot_work_fail_for_good_before_connecting(remote, settings):
    settings.MIRROR_RSYNC_TARGET = "mirror.example.com::module/path"
    delivery = send(delivery_of(open_incident("IMAP logins failing")))
    assert delivery.state == DeliveryState.FAILED
    assert "is not user@host:/path" in delivery.last_error

    channel = RsyncMirrorChannel()
    settings.MIRROR_RSYNC_TARGET = "root@127.0.0.1:/srv/mirror"
    settings.MIRROR_RSYNC_SSH_KEY = "/nonexistent/key"
    with pytest.raises(TransportError, match="MIRROR_RSYNC_SSH_KEY=/nonexistent/key cannot be"):
        channel.has_build()
    settings.MIRROR_RSYNC_TARGET = ""
    assert not channel.is_configured()
    assert "MIRROR_RSYNC_TARGET" in channel.why_off()


@pytest.mark.parametrize(
    ("code", "stderr", "permanent", "says"),
    [
        (255, "ssh: connect to host h port 22: Connection timed out", False, "could not reach"),
        (12, "rsync: connection unexpectedly closed", False, "could not reach"),
        (30, "rsync error: timeout in data send/receive (code 30)", False, "could not reach"),
        (35, "rsync error: timeout waiting for daemon connection", False, "could not reach"),
        (11, 'write failed on "/srv/m/index.html": No space left on device (28)', False, "full"),
        (23, 'mkstemp "/srv/.~tmp~/x" failed: No space left on device (28)', False, "full"),
        (23, 'mkdir "/srv/m" failed: Permission denied (13)', True, "refused to write"),
        (12, "bash: line 1: rsync: command not found", True, "rsync is not installed"),
        (1, "rsync: on remote machine: --bad: unknown option", True, "refused the command"),
        (24, "file has vanished", False, "exit 24"),
    ],
)
def test_exit_codes_and_messages_decide_retry_or_give_up(code, stderr, permanent, says, settings):
    settings.MIRROR_RSYNC_TARGET = "mirror@mirror.example.com:/srv/mirror"
    error = RsyncMirrorChannel()._failure(code, stderr, "sending the mirror to")
    assert error.permanent is permanent
    assert says in str(error)
    assert stderr in str(error)  # the tail of rsync's own words


def test_a_full_build_keeps_the_last_good_copy_of_a_page_that_fails_to_render(
    remote, published, broken
):
    incidents, _templates = broken
    page = f"incidents/{published.pk}/index.html"
    old = (remote / page).read_bytes()
    incidents.add(published.pk)
    actions.post_incident_update(published, status=IncidentStatus.MONITORING, body=NEWS)

    outcome = RsyncMirrorChannel().build(full=True)

    url = f"/{page.removesuffix('index.html')}"
    assert outcome.endswith(f"2 pages could not be rendered: {url} /nb{url}")  # each language
    assert (remote / page).read_bytes() == old  # protected from --delete-after
    assert NEWS.encode() in (remote / "index.html").read_bytes()
