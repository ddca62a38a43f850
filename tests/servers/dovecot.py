"""Dovecot serving IMAP and POP3 over TLS on free loopback ports.

    with DovecotServer(workdir, certificate, key, users={"probe": "secret"}) as dovecot:
        dovecot.imaps_port, dovecot.pop3s_port   # TLS from the first byte (993, 995)
        dovecot.imap_port, dovecot.pop3_port     # STARTTLS / STLS first (143, 110)
        dovecot.stop(); dovecot.start()          # down for a while, then back on the same ports

Run as root in the foreground (`dovecot -F -c conf`), every path in the temp dir; its login
processes run as Debian's `dovenull`, mail processes as `nobody`. Users come from a
passwd-file; their passwords are plain text (a throwaway account). Stopped by pid.
"""

from __future__ import annotations

import contextlib
import os
import socket
import ssl
import subprocess
from pathlib import Path
from typing import Self

from tests.servers.postgres import free_port
from tests.servers.process import ServerProcess

DOVECOT = "/usr/sbin/dovecot"

CONFIG = """\
base_dir = {tmp}/run
state_dir = {tmp}/state
log_path = {tmp}/dovecot.log
protocols = imap pop3
listen = 127.0.0.1
ssl = required
ssl_cert = <{certificate}
ssl_key = <{key}
auth_mechanisms = plain
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {tmp}/users
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={tmp}/home/%u
}}
mail_location = maildir:~/Maildir
login_greeting = {greeting}
service imap-login {{
  inet_listener imap {{
    port = {imap}
  }}
  inet_listener imaps {{
    port = {imaps}
    ssl = yes
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = {pop3}
  }}
  inet_listener pop3s {{
    port = {pop3s}
    ssl = yes
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""


class DovecotError(RuntimeError):
    pass


class DovecotServer(ServerProcess):
    def __init__(
        self,
        workdir: Path,
        certificate: Path,
        key: Path,
        *,
        users: dict[str, str] | None = None,
        greeting: str = "Probe target ready.",
    ) -> None:
        self.workdir = workdir
        self.certificate, self.key = certificate, key
        self.users = users or {}
        self.greeting = greeting
        self.imaps_port = self.pop3s_port = self.imap_port = self.pop3_port = 0

    def start(self, timeout: float = 15.0) -> Self:
        if not os.access(DOVECOT, os.X_OK):
            raise DovecotError(
                f"{DOVECOT} not found: `apt-get install dovecot-imapd dovecot-pop3d` "
                "(or `python3 tests/system_deps.py`)"
            )
        self.tmpdir = self.workdir / "dovecot"
        home = self.tmpdir / "home"
        home.mkdir(parents=True, exist_ok=True)
        home.chmod(0o777)
        self.tmpdir.chmod(0o755)
        (self.tmpdir / "users").write_text(
            "".join(f"{user}:{{PLAIN}}{password}::::::\n" for user, password in self.users.items())
        )
        # Chosen on the first start and kept, so stop() then start() is the same server back.
        self.imaps_port = self.imaps_port or free_port()
        self.pop3s_port = self.pop3s_port or free_port()
        self.imap_port = self.imap_port or free_port()  # STARTTLS
        self.pop3_port = self.pop3_port or free_port()  # STLS
        config = self.tmpdir / "dovecot.conf"
        config.write_text(
            CONFIG.format(
                tmp=self.tmpdir,
                certificate=self.certificate,
                key=self.key,
                imaps=self.imaps_port,
                pop3s=self.pop3s_port,
                imap=self.imap_port,
                pop3=self.pop3_port,
                greeting=self.greeting,
            )
        )
        log = (self.tmpdir / "stdout.log").open("wb")
        with log:
            self.process = subprocess.Popen(
                [DOVECOT, "-F", "-c", str(config)],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.ready_or_closed(
            self._answers,
            program="dovecot",
            service=f"no IMAP greeting on port {self.imaps_port}",
            timeout=timeout,
            error=DovecotError,
            log_tail=self._log_tail,
        )
        return self

    def _answers(self) -> bool:
        context = ssl.create_default_context(cafile=None)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        with (
            contextlib.suppress(OSError),
            socket.create_connection(("127.0.0.1", self.imaps_port), timeout=1) as raw,
            context.wrap_socket(raw) as tls,
        ):
            return tls.recv(64).startswith(b"* OK")
        return False

    def _log_tail(self) -> str:
        if self.tmpdir is None:
            return ""
        text = ""
        for name in ("dovecot.log", "stdout.log"):
            with contextlib.suppress(OSError):
                text += (self.tmpdir / name).read_text(errors="replace")[-1500:]
        return "\n" + text
