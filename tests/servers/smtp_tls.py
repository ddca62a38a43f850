"""aiosmtpd offering STARTTLS (as on 25 and 587), or TLS from the first byte (as on 465).

    with TlsSmtpServer(certificate, key, banner="mx.probe.test ESMTP") as smtp:
        smtp.port
    with TlsSmtpServer(certificate, key, implicit=True) as smtps: ...

aiosmtpd rather than Postfix: the probe needs a banner, EHLO and STARTTLS, and Postfix's
smtpd wants a whole mail system (queue, master, chroot) to give them; aiosmtpd gives them in
this process, on a free port, with the certificate it is handed.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from pathlib import Path
from types import TracebackType
from typing import Self

from aiosmtpd.controller import Controller

from tests.servers.postgres import free_port


class _Refuse:
    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        return "554 This server only answers probes"


class TlsSmtpServer:
    def __init__(
        self,
        certificate: Path,
        key: Path,
        *,
        banner: str = "mx.probe.test ESMTP",
        implicit: bool = False,
    ) -> None:
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.load_cert_chain(certificate, key)
        self.banner = banner
        self.implicit = implicit
        self.port = 0
        self._controller: Controller | None = None

    def start(self) -> Self:
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        self.port = free_port()
        options: dict[str, object] = {"ident": self.banner}
        if self.implicit:
            controller = Controller(
                _Refuse(), hostname="127.0.0.1", port=self.port, ssl_context=self.context,
                loop=asyncio.new_event_loop(), server_hostname="127.0.0.1", **options,
            )  # fmt: skip
        else:
            controller = Controller(
                _Refuse(), hostname="127.0.0.1", port=self.port, tls_context=self.context,
                require_starttls=False, loop=asyncio.new_event_loop(), **options,
            )  # fmt: skip
        controller.start()
        self._controller = controller
        return self

    def stop(self) -> None:
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
