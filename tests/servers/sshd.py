"""A throwaway OpenSSH server for tests, from the installed `/usr/sbin/sshd`.

    with SshServer() as sshd:
        sshd.port, sshd.user       # where to log in: f"{sshd.user}@127.0.0.1"
        sshd.client_key            # a private key the server accepts
        sshd.known_hosts           # "[127.0.0.1]:PORT ssh-ed25519 ..." for StrictHostKeyChecking
        sshd.other_key             # a key pair the server does not accept
        sshd.stop(); sshd.start()  # down, and up again on the same port with the same keys

It listens on a free loopback port with its own host key; the only login is the current user
(root too, by key only) with the client key, listed in an authorized_keys file in the same
temporary directory (`StrictModes no`, as temporary directories are shared). No PAM. Stopped
by pid: SIGTERM, then SIGKILL after a timeout. The logins run the real rsync on this machine,
so a test reads what was sent from the directory it named.
"""

from __future__ import annotations

import atexit
import contextlib
import getpass
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import Self

from tests.servers.postgres import free_port
from tests.servers.process import ServerProcess

SSHD = "/usr/sbin/sshd"  # sshd re-executes itself, so it needs its absolute path
INSTALL_HINT = (
    "Install them with `apt-get install openssh-server openssh-client rsync` "
    "or `python3 tests/system_deps.py`."
)


class SshServerError(RuntimeError):
    pass


def _keygen(path: Path) -> None:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", path.name, "-f", str(path)],
        check=True,
        capture_output=True,
        timeout=30,
    )


class SshServer(ServerProcess):
    def __init__(self, *, startup_timeout: float = 10.0, stop_timeout: float = 5.0) -> None:
        self.host = "127.0.0.1"
        self.port = 0  # chosen on the first start, kept for the next ones
        self.user = getpass.getuser()
        self.startup_timeout = startup_timeout
        self.stop_timeout = stop_timeout
        self.tmpdir: Path | None = None
        self.process: subprocess.Popen[bytes] | None = None

    # --- what callers use -------------------------------------------------------------------

    @property
    def client_key(self) -> Path:
        return self._dir / "client_ed25519"

    @property
    def other_key(self) -> Path:
        return self._dir / "other_ed25519"

    @property
    def known_hosts(self) -> Path:
        return self._dir / "known_hosts"

    @property
    def log(self) -> Path:
        return self._dir / "sshd.log"

    def target(self, path: Path | str) -> str:
        """An rsync/scp destination on this server: user@127.0.0.1:/path."""
        return f"{self.user}@{self.host}:{path}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> Self:
        """Start the server, on the port (and with the keys) it had before if it ran already."""
        if self.running:
            return self
        missing = [p for p in (SSHD, "ssh", "ssh-keygen", "rsync") if not shutil.which(p)]
        if missing:
            raise SshServerError(f"Not found: {', '.join(missing)}. {INSTALL_HINT}")
        if self.tmpdir is None:
            self.tmpdir = Path(tempfile.mkdtemp(prefix="statuspage-sshd-"))
            atexit.register(self.close)
            self._make_keys()
        if os.geteuid() == 0:
            # Debian's service script creates sshd's privilege separation directory; we start
            # sshd without it.
            Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
        self.port = self.port or free_port()
        self._write_config()
        self.known_hosts.write_text(
            f"[{self.host}]:{self.port} {(self._dir / 'host_ed25519.pub').read_text()}"
        )
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [SSHD, "-D", "-e", "-f", str(self._dir / "sshd_config")],
                cwd=self._dir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        try:
            self._wait_until_ready()
        except BaseException:
            self.close()
            raise
        return self

    def log_tail(self, lines: int = 20) -> str:
        try:
            tail = self.log.read_text(errors="replace").splitlines()[-lines:]
        except OSError:
            return ""
        return "\nsshd log:\n" + "\n".join(tail) if tail else ""

    # --- how ------------------------------------------------------------------------------

    @property
    def _dir(self) -> Path:
        if self.tmpdir is None:
            raise SshServerError("The SSH server was never started: call start() first.")
        return self.tmpdir

    def _make_keys(self) -> None:
        for name in ("host_ed25519", "client_ed25519", "other_ed25519"):
            _keygen(self._dir / name)
        (self._dir / "authorized_keys").write_text((self._dir / "client_ed25519.pub").read_text())

    def _write_config(self) -> None:
        lines = [
            f"Port {self.port}",
            f"ListenAddress {self.host}",
            f"HostKey {self._dir / 'host_ed25519'}",
            f"PidFile {self._dir / 'sshd.pid'}",
            f"AuthorizedKeysFile {self._dir / 'authorized_keys'}",
            f"AllowUsers {self.user}",
            "PermitRootLogin prohibit-password",
            "PubkeyAuthentication yes",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "UsePAM no",
            "StrictModes no",
            "PrintMotd no",
            "X11Forwarding no",
            "AllowTcpForwarding no",
            "LogLevel VERBOSE",
        ]
        (self._dir / "sshd_config").write_text("\n".join(lines) + "\n")

    def _answers(self) -> bool:
        """Whether the server sends its SSH banner (listening is not enough: it may be exiting)."""
        with (
            contextlib.suppress(OSError),
            socket.create_connection((self.host, self.port), timeout=1) as sock,
        ):
            sock.settimeout(1)
            return sock.recv(64).startswith(b"SSH-")
        return False

    def _wait_until_ready(self) -> None:
        self.wait_until_ready(
            self._answers,
            program="sshd",
            service=f"sshd did not answer on {self.host}:{self.port}",
            timeout=self.startup_timeout,
            error=SshServerError,
            log_tail=self.log_tail,
        )
