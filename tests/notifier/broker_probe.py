"""Tasks the embedded-broker test's worker loads (--include): a stand-in for a confirmation
mail that tells the test it was taken, by connecting to the test's socket."""

from __future__ import annotations

import socket

from celery import shared_task


@shared_task(name="tests.mail_taken")
def mail_taken(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(b"taken")
