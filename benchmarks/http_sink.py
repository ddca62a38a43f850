"""An HTTP/1.1 sink on loopback for the chat fan-out benchmark: answers every POST at once.

    python -m benchmarks.http_sink PORTFILE     # writes its port to PORTFILE, serves until killed

`HttpSink` starts it in a process of its own and stops it by its pid (a context manager).

Keep-alive (and pipelining) on every connection; a POST gets what the service it stands for
answers (Slack 200 "ok", Discord 204, Teams 202, a webhook 200), judged by the path. It counts
the POSTs and keeps the time of the first and the last; `GET /__stats__` answers them as JSON
and `POST /__reset__` starts the count again. Listens on 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

ANSWERS = {
    b"/services/": b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok",
    b"/api/webhooks/": b"HTTP/1.1 204 No Content\r\n\r\n",
    b"/workflows/": b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n",
}
DEFAULT = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"


class Stats:
    count = 0
    first = 0.0
    last = 0.0


class Sink(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end]
            length = 0
            for line in head.split(b"\r\n")[1:]:
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length :]
            self.answer(head.split(b"\r\n", 1)[0])

    def answer(self, request_line: bytes) -> None:
        method, path, _ = request_line.split(b" ", 2)
        if method == b"GET" and path == b"/__stats__":
            body = json.dumps(
                {"count": Stats.count, "first": Stats.first, "last": Stats.last}
            ).encode()
            head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n\r\n".encode()
            self.transport.write(head + body)
            return
        if path == b"/__reset__":
            Stats.count, Stats.first, Stats.last = 0, 0.0, 0.0
            self.transport.write(DEFAULT)
            return
        now = time.time()
        Stats.count += 1
        Stats.first = Stats.first or now
        Stats.last = now
        for prefix, answer in ANSWERS.items():
            if path.startswith(prefix):
                self.transport.write(answer)
                return
        self.transport.write(DEFAULT)


async def serve(port_file: Path) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Sink, "127.0.0.1", 0, backlog=1024)
    port_file.write_text(str(server.sockets[0].getsockname()[1]))
    async with server:
        await server.serve_forever()


class HttpSink:
    """benchmarks/http_sink.py in a process of its own session, stopped by its pid."""

    def __init__(self, workdir: Path) -> None:
        self.port_file = workdir / "sink-port"
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0

    def __enter__(self) -> HttpSink:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.http_sink", str(self.port_file)],
            cwd=ROOT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while not self.port_file.exists() or not self.port_file.read_text():
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.__exit__()
                raise RuntimeError("the HTTP sink did not start")
            time.sleep(0.05)
        self.port = int(self.port_file.read_text())
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def _call(self, method: str, path: str) -> bytes:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request(method, path, body=b"" if method == "POST" else None)
            return connection.getresponse().read()
        finally:
            connection.close()

    def stats(self) -> dict[str, float]:
        return dict(json.loads(self._call("GET", "/__stats__")))

    def reset(self) -> None:
        self._call("POST", "/__reset__")


if __name__ == "__main__":
    asyncio.run(serve(Path(sys.argv[1])))
