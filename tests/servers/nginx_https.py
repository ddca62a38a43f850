"""nginx serving a small page over HTTPS with a given certificate, on a free loopback port.

    with HttpsServer(certificate, key, pages={"index.html": "Runbox status"}) as web:
        web.port

For probes' tests: the certificate may expire in 5 days, be expired or self-signed. Run as
root in the foreground (workers as `nobody`, so the pages are world-readable); stopped by pid.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import subprocess
from pathlib import Path
from typing import Self

from tests.servers.nginx import MIME_TYPES, find_nginx, make_world_readable_dir
from tests.servers.postgres import free_port
from tests.servers.process import ServerProcess

CONFIG = """\
daemon off;
master_process on;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {mime_types};
    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate {certificate};
        ssl_certificate_key {key};
        root {root};
        index index.html;
    }}
}}
"""


class HttpsServerError(RuntimeError):
    pass


class HttpsServer(ServerProcess):
    def __init__(self, certificate: Path, key: Path, *, pages: dict[str, str]) -> None:
        self.certificate, self.key = certificate, key
        self.pages = pages
        self.port = 0

    def start(self, timeout: float = 10.0) -> Self:
        binary = find_nginx()
        self.tmpdir = make_world_readable_dir("statuspage-nginx-https-")
        root = self.tmpdir / "root"
        root.mkdir(mode=0o755)
        for name, text in self.pages.items():
            (root / name).write_text(text)
            (root / name).chmod(0o644)
        self.port = free_port()
        config = self.tmpdir / "nginx.conf"
        config.write_text(
            CONFIG.format(
                tmp=self.tmpdir,
                port=self.port,
                certificate=self.certificate,
                key=self.key,
                root=root,
                mime_types=MIME_TYPES,
            )
        )
        self.process = subprocess.Popen(
            [binary, "-p", str(self.tmpdir), "-e", str(self.tmpdir / "error.log"),
             "-c", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        self.ready_or_closed(
            self._answers,
            program="nginx",
            service=f"no TLS handshake on port {self.port}",
            timeout=timeout,
            error=HttpsServerError,
            log_tail=self._log_tail,
        )
        return self

    def _answers(self) -> bool:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        with (
            contextlib.suppress(OSError),
            socket.create_connection(("127.0.0.1", self.port), timeout=1) as raw,
            context.wrap_socket(raw),
        ):
            return True
        return False

    def _log_tail(self) -> str:
        if self.tmpdir is None:
            return ""
        with contextlib.suppress(OSError):
            return "\n" + (self.tmpdir / "error.log").read_text(errors="replace")[-1500:]
        return ""
