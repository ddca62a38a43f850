"""dnsmasq answering fixed A, AAAA and MX records on a free loopback port.

    with DnsServer(workdir, hosts={"www.probe.test": ["192.0.2.10", "2001:db8::10"]},
                   mx={"probe.test": [("mx1.probe.test", 10)]}) as dns:
        dns.address          # "127.0.0.1:PORT", for PROBE_DNS_RESOLVER

No upstream (`--no-resolv`), no /etc/hosts, no config file: it knows only what it is given,
and answers NXDOMAIN for the rest of its zones. Foreground, stopped by pid.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from pathlib import Path
from typing import Self

import dns.exception
import dns.message
import dns.query

from tests.servers.postgres import free_port
from tests.servers.process import ServerProcess

DNSMASQ = "/usr/sbin/dnsmasq"


class DnsmasqError(RuntimeError):
    pass


class DnsServer(ServerProcess):
    def __init__(
        self,
        workdir: Path,
        *,
        hosts: dict[str, list[str]] | None = None,
        mx: dict[str, list[tuple[str, int]]] | None = None,
    ) -> None:
        self.workdir = workdir
        self.hosts = hosts or {}
        self.mx = mx or {}
        self.port = 0

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 10.0) -> Self:
        if not os.access(DNSMASQ, os.X_OK):
            raise DnsmasqError(
                f"{DNSMASQ} not found: `apt-get install dnsmasq-base` "
                "(or `python3 tests/system_deps.py`)"
            )
        self.tmpdir = self.workdir / "dnsmasq"
        self.tmpdir.mkdir(parents=True)
        self.port = free_port()
        command = [
            DNSMASQ, "--no-daemon", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
            "--bind-interfaces", "--listen-address=127.0.0.1", f"--port={self.port}",
            f"--pid-file={self.tmpdir / 'dnsmasq.pid'}", "--user=root",
        ]  # fmt: skip
        # Authoritative for its names: NXDOMAIN or an empty answer, never REFUSED.
        for domain in {*self.hosts, *self.mx}:
            command.append(f"--local=/{domain}/")
        for name, addresses in self.hosts.items():
            command.append(f"--host-record={name},{','.join(addresses)}")
        for domain, exchanges in self.mx.items():
            command += [f"--mx-host={domain},{host},{priority}" for host, priority in exchanges]
        log = (self.tmpdir / "stdout.log").open("wb")
        with log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.ready_or_closed(
            self._answers,
            program="dnsmasq",
            service=f"no DNS answer on port {self.port}",
            timeout=timeout,
            error=DnsmasqError,
            log_tail=self._log_tail,
        )
        return self

    def _answers(self) -> bool:
        query = dns.message.make_query("ready.invalid", "A")
        with contextlib.suppress(OSError, dns.exception.DNSException):
            dns.query.udp(query, "127.0.0.1", port=self.port, timeout=0.5)
            return True
        return False

    def _log_tail(self) -> str:
        if self.tmpdir is None:
            return ""
        with contextlib.suppress(OSError):
            return "\n" + (self.tmpdir / "stdout.log").read_text(errors="replace")[-1500:]
        return ""
