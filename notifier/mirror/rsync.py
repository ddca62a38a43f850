"""The mirror on another host, by rsync over SSH.

A publish writes what it rendered into a local staging directory (the pages
it changed, every page on a full build) with the static files linked in, and
sends that with one rsync run. rsync skips static files whose size and time
match; `--delay-updates` puts every changed file in place at the end, in one
quick pass, so a reader sees the old site or the new one. Only a full build
deletes what the site no longer has (`--delete-after`); an incremental one
never deletes.

Whether the host already holds a mirror is asked of the host itself, by
fetching the mark a full build leaves (`TARGET/.full-build`, the time that
build began rendering) with rsync: one more SSH login per publish, but a new
or wiped host gets a full build at once, the mark tells which failed
deliveries since then need their pages caught up, and a key restricted to
rsync (rrsync in authorized_keys) still works. The host key must already be known:
StrictHostKeyChecking=yes, so a changed or unknown key stops the mirror
instead of being accepted silently.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import tempfile
from collections.abc import Collection
from contextlib import suppress
from datetime import datetime
from pathlib import Path

from django.conf import settings

from notifier.channels.base import TransportError
from notifier.mirror.channel import MirrorChannel
from notifier.mirror.render import MirrorFile

# A whole run may take this many times MIRROR_RSYNC_TIMEOUT (which bounds each silence).
RUN_LIMIT_FACTOR = 10
# Left by a full build once it is in place: when it began rendering (served, but harmless).
FULL_BUILD_MARK = ".full-build"

HOST_KEY_REFUSED = re.compile(
    r"Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|host key .*is not known"
)
LOGIN_REFUSED = re.compile(
    r"Permission denied \((publickey|password|keyboard|gssapi|hostbased)"
    r"|Too many authentication failures"
)
NO_SPACE = re.compile(r"No space left on device|Disk quota exceeded")
WRITE_REFUSED = re.compile(r"failed: (Permission denied|Read-only file system) \(\d+\)")
NO_REMOTE_RSYNC = re.compile(r"rsync: (command )?not found")
# rsync's own exit codes: the connection failed or was lost on the way.
CONNECTION_CODES = {
    255: "SSH failed",
    10: "socket I/O",
    12: "data stream",
    30: "timeout",
    35: "timeout",
}
# Our command or the two rsyncs disagree: trying again cannot help.
USAGE_CODES = {1: "syntax or usage", 2: "protocol incompatibility", 4: "unsupported action"}


def _tail(stderr: str, lines: int = 4) -> str:
    kept = [line.strip() for line in stderr.splitlines() if line.strip()]
    return " | ".join(kept[-lines:])[-800:] or "no output"


def _transferred(stdout: str) -> int | None:
    found = re.search(r"Number of regular files transferred: ([\d,.]+)", stdout)
    return int(re.sub(r"\D", "", found.group(1))) if found else None


class RsyncMirrorChannel(MirrorChannel):
    name = "mirror_rsync"
    label = "Static mirror: rsync over SSH"
    _last_full_build: datetime | None = None  # read by has_build()

    def is_configured(self) -> bool:
        return bool(settings.MIRROR_RSYNC_TARGET)

    def why_off(self) -> str:
        if self.is_configured():
            return ""
        return (
            "Set MIRROR_RSYNC_TARGET (user@host:/path), MIRROR_RSYNC_SSH_KEY and "
            "MIRROR_RSYNC_KNOWN_HOSTS to mirror to another host over SSH."
        )

    @property
    def target(self) -> str:
        return settings.MIRROR_RSYNC_TARGET.rstrip("/")

    # --- the channel ------------------------------------------------------------------------

    def has_build(self) -> bool:
        """Whether a full build is in place there; reads when it began, for last_full_build."""
        self._check_settings()
        self._last_full_build = None
        with tempfile.TemporaryDirectory(prefix="statuspage-rsync-") as tmp:
            mark = f"{self.target}/{FULL_BUILD_MARK}"
            code, _out, err = self._rsync([mark, f"{tmp}/"], limit=None)
            if code == 23 and "No such file or directory" in err:
                return False
            if code != 0:
                raise self._failure(code, err, f"looking for {FULL_BUILD_MARK} on")
            with suppress(OSError, ValueError):
                text = (Path(tmp) / FULL_BUILD_MARK).read_text()
                self._last_full_build = datetime.fromisoformat(text.strip())
        return True

    def last_full_build(self) -> datetime | None:
        return self._last_full_build

    def full_build_done(self, started: datetime) -> None:
        with tempfile.TemporaryDirectory(prefix="statuspage-rsync-") as tmp:
            (Path(tmp) / FULL_BUILD_MARK).write_text(started.isoformat())
            options = ["-t", "--chmod=F644", f"{tmp}/{FULL_BUILD_MARK}", f"{self.target}/"]
            code, _out, err = self._rsync(options, limit=None)
        if code != 0:
            raise self._failure(code, err, f"leaving {FULL_BUILD_MARK} on")

    def publish(
        self,
        pages: list[MirrorFile],
        static: list[tuple[str, Path]],
        *,
        full: bool,
        keep: Collection[str] = (),
    ) -> int:
        self._check_settings()
        with tempfile.TemporaryDirectory(prefix="statuspage-rsync-") as tmp:
            staging = Path(tmp) / "site"
            try:
                staged = self._stage(staging, pages, static)
            except OSError as error:
                raise TransportError(
                    f"rsync mirror: could not stage the files in {tmp}: {error}", permanent=False
                ) from error
            options = [
                "-rlpt",
                # What the web server on the far side needs, whatever our umask or temp dir mode.
                "--chmod=D755,F644",
                # The static files are symlinks to the originals: send the files themselves.
                "--copy-unsafe-links",
                "--delay-updates",
                "--stats",
                # A full build deletes what the site no longer has (its mark is sent after it).
                *(["--delete-after", f"--filter=protect /{FULL_BUILD_MARK}"] if full else []),
                # Pages that failed to render: the host keeps the copies it has.
                *([f"--filter=merge {_protect_list(Path(tmp), keep)}"] if full and keep else []),
                f"{staging}/",
                f"{self.target}/",
            ]
            code, out, err = self._rsync(options, limit=RUN_LIMIT_FACTOR)
        if code != 0:
            raise self._failure(code, err, "sending the mirror to")
        sent = _transferred(out)
        return staged if sent is None else sent

    # --- how ------------------------------------------------------------------------------

    def _check_settings(self) -> None:
        """Settings errors that no retry can mend, said plainly before any connection."""
        host, colon, path = settings.MIRROR_RSYNC_TARGET.rpartition(":")
        if not colon or not host or not path or host.endswith(":") or "://" in host:
            raise TransportError(
                f"MIRROR_RSYNC_TARGET={settings.MIRROR_RSYNC_TARGET!r} is not user@host:/path "
                "(rsync over SSH; rsync daemon addresses are not supported)",
                permanent=True,
            )
        for name in ("MIRROR_RSYNC_SSH_KEY", "MIRROR_RSYNC_KNOWN_HOSTS"):
            value = getattr(settings, name)
            if value and not os.access(value, os.R_OK):
                raise TransportError(
                    f"{name}={value} cannot be read on this machine", permanent=True
                )

    def _ssh_command(self) -> str:
        timeout = settings.MIRROR_RSYNC_TIMEOUT
        command = [
            "ssh",
            "-p", str(settings.MIRROR_RSYNC_PORT),
            "-o", "BatchMode=yes",
            "-o", "StrictHostKeyChecking=yes",
            "-o", f"ConnectTimeout={timeout}",
            "-o", f"ServerAliveInterval={max(1, timeout // 3)}",
            "-o", "ServerAliveCountMax=3",
        ]  # fmt: skip
        if settings.MIRROR_RSYNC_SSH_KEY:
            command += ["-i", settings.MIRROR_RSYNC_SSH_KEY, "-o", "IdentitiesOnly=yes"]
        if settings.MIRROR_RSYNC_KNOWN_HOSTS:
            command += ["-o", f"UserKnownHostsFile={settings.MIRROR_RSYNC_KNOWN_HOSTS}"]
        return shlex.join(command)  # rsync splits -e on spaces and honours quotes

    def _rsync(self, options: list[str], *, limit: int | None) -> tuple[int, str, str]:
        """Run rsync with our SSH command; stopped (with its ssh) when it runs out of time."""
        timeout = settings.MIRROR_RSYNC_TIMEOUT
        command = ["rsync", f"--timeout={timeout}", "-e", self._ssh_command(), *options]
        seconds = timeout * limit if limit else timeout * 2 + 5
        try:
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                errors="replace",
                start_new_session=True,  # its own process group: a timeout ends ssh too
            )
        except FileNotFoundError as error:
            raise TransportError(
                "rsync mirror: rsync is not installed on this machine", permanent=True
            ) from error
        try:
            out, err = process.communicate(timeout=seconds)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            _out, err = process.communicate()
            raise TransportError(
                f"rsync to {self.target} did not finish within {seconds} s "
                f"(MIRROR_RSYNC_TIMEOUT={timeout}): {_tail(err)}",
                permanent=False,
            ) from None
        return process.returncode, out, err

    def _failure(self, code: int, stderr: str, doing: str) -> TransportError:
        tail = _tail(stderr)
        where = f"rsync mirror: {doing} {self.target} (port {settings.MIRROR_RSYNC_PORT})"
        if HOST_KEY_REFUSED.search(stderr):
            known = settings.MIRROR_RSYNC_KNOWN_HOSTS or "~/.ssh/known_hosts"
            reason = f"the host's key is not the one in {known} (or it is not listed there)"
            return TransportError(f"{where}: {reason}; exit {code}: {tail}", permanent=True)
        if LOGIN_REFUSED.search(stderr):
            reason = "the SSH login was refused (check MIRROR_RSYNC_SSH_KEY and authorized_keys)"
            return TransportError(f"{where}: {reason}; exit {code}: {tail}", permanent=True)
        if NO_SPACE.search(stderr):
            reason = "the remote disk is full"
            return TransportError(f"{where}: {reason}; exit {code}: {tail}", permanent=False)
        if NO_REMOTE_RSYNC.search(stderr):
            reason = "rsync is not installed on the remote host"
            return TransportError(f"{where}: {reason}; exit {code}: {tail}", permanent=True)
        if code in CONNECTION_CODES:
            reason = f"could not reach the host or lost the connection ({CONNECTION_CODES[code]})"
            return TransportError(f"{where}: {reason}; exit {code}: {tail}", permanent=False)
        if code in (11, 23) and WRITE_REFUSED.search(stderr):
            reason = "the remote host refused to write there"
            return TransportError(f"{where}: {reason}; exit {code}: {tail}", permanent=True)
        if code in USAGE_CODES:
            reason = f"rsync refused the command ({USAGE_CODES[code]})"
            return TransportError(f"{where}: {reason}; exit {code}: {tail}", permanent=True)
        return TransportError(f"{where}: exit {code}: {tail}", permanent=False)

    @staticmethod
    def _stage(staging: Path, pages: list[MirrorFile], static: list[tuple[str, Path]]) -> int:
        staging.mkdir()
        for path, source in static:
            link = staging / path
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(source.resolve())
        for page in pages:
            file = staging / page.path
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_bytes(page.body)
        return len(static) + len(pages)


def _protect_list(folder: Path, keep: Collection[str]) -> Path:
    """An rsync filter file protecting these paths from --delete-after."""
    rules = folder / "keep.rules"
    rules.write_text("".join(f"protect /{path}\n" for path in keep))
    return rules
