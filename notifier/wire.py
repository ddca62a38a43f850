"""One kept HTTP/1.1 connection to a checked address: a request out, its answer in.

notifier/outbound.py decides where we may connect and opens the socket; this module only
speaks HTTP over it. The request goes out in one write (head and body together: two writes
are two packets, two TLS records and two wake-ups of the receiver). The answer is parsed by
httptools (llhttp, the parser Node.js uses): http.client's header parsing, through the
email package, cost more than a whole post to a kept connection. Every read is bounded by
the exchange's deadline, and at most `limit` bytes of a body are kept; a connection whose
answer was not read to its end, or that the server will close, is not reused.

The Watchdog cuts the socket at the deadline whatever it is doing (a TLS handshake that
drips bytes included), as a per-read timeout alone would not.
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import overload

import httptools

# What http.client refuses in a request target and in header names and values.
UNSAFE_PATH = re.compile(r"[\x00-\x20\x7f]")
HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
UNSAFE_VALUE = re.compile(r"[\x00\r\n]")
RECEIVE_BYTES = 64 * 1024


class ProtocolError(Exception):
    """The far end's answer was not HTTP, or ended before it was whole."""


class Headers(Mapping[str, str]):
    """An answer's header fields, names matched in any case; a repeated field's values joined
    by commas (RFC 9110, 5.3)."""

    def __init__(self, fields: list[tuple[str, str]]) -> None:
        self._fields: dict[str, str] = {}
        for name, value in fields:
            key = name.lower()
            self._fields[key] = f"{self._fields[key]}, {value}" if key in self._fields else value

    def __getitem__(self, name: str) -> str:
        return self._fields[name.lower()]

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields)

    def __len__(self) -> int:
        return len(self._fields)

    @overload  # type: ignore[override]
    def get(self, name: str) -> str | None: ...
    @overload
    def get(self, name: str, default: str) -> str: ...
    def get(self, name: str, default: str | None = None) -> str | None:
        return self._fields.get(name.lower(), default)


@dataclass(frozen=True)
class Reply:
    status: int
    reason: str
    headers: Headers
    body: bytes  # at most the limit asked for
    reusable: bool  # read to its end on a connection the server keeps open


def request_head(method: str, path: str, headers: Mapping[str, str], length: int) -> bytes:
    """The request line and header fields, Content-Length last, ended by the empty line."""
    if UNSAFE_PATH.search(path):
        raise ValueError(f"A request target may not contain spaces or control characters: {path!r}")
    lines = [f"{method} {path} HTTP/1.1"]
    for name, value in headers.items():
        if not HEADER_NAME.fullmatch(name) or UNSAFE_VALUE.search(value):
            raise ValueError(f"Invalid header field: {name!r}: {value!r}")
        lines.append(f"{name}: {value}")
    lines.append(f"Content-Length: {length}\r\n\r\n")
    return "\r\n".join(lines).encode("latin-1")


class _Answer:
    """httptools' callbacks, collecting one final answer (1xx interim ones are skipped).

    One per connection, begun anew for each exchange: a parser that has read a whole answer
    is ready for the next one on the same connection. (A parser per answer was also a
    reference cycle per post, left to the garbage collector.)
    """

    def __init__(self) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.begin(0)

    def begin(self, limit: int) -> None:
        self.limit = limit
        self.reset()
        self.complete = False
        self.keep_alive = False
        self.after_complete = False

    def reset(self) -> None:
        self.reason: list[bytes] = []
        self.fields: list[tuple[str, str]] = []
        self.body: list[bytes] = []
        self.kept = 0
        self.cut = False  # more body came than the limit
        self.headers_done = False

    def on_message_begin(self) -> None:
        if self.complete:
            self.after_complete = True  # bytes after the answer: the connection is unusable

    def on_status(self, reason: bytes) -> None:
        self.reason.append(reason)

    def on_header(self, name: bytes, value: bytes) -> None:
        self.fields.append((name.decode("latin-1"), value.decode("latin-1").strip()))

    def on_headers_complete(self) -> None:
        self.headers_done = True

    def on_body(self, chunk: bytes) -> None:
        room = self.limit - self.kept
        if len(chunk) > room:
            self.cut = True
            chunk = chunk[:room]
        if chunk:
            self.body.append(chunk)
            self.kept += len(chunk)

    def on_message_complete(self) -> None:
        status = self.parser.get_status_code()
        if 100 <= status < 200 and status != 101:
            self.reset()  # an interim answer ("100 Continue"): the final one follows
        else:
            self.complete = True
            # Asked here: once the callback returns, the parser is ready for the next message.
            self.keep_alive = bool(self.parser.should_keep_alive())

    def until_close(self) -> bool:
        """Whether the body runs to the connection's end (neither a length nor chunks)."""
        names = {name.lower() for name, _ in self.fields}
        return "content-length" not in names and "transfer-encoding" not in names


class Connection:
    """HTTP/1.1 over a socket that is already connected (and wrapped in TLS when https)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._answer = _Answer()

    def close(self) -> None:
        self.sock.close()

    def exchange(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str],
        body: bytes,
        *,
        deadline: float,
        limit: int,
    ) -> Reply:
        """Send one request and read its answer, `limit` bytes of its body at most."""
        head = request_head(method, path, headers, len(body))
        self.sock.settimeout(remaining(deadline))
        self.sock.sendall(head + body)
        answer = self._answer
        answer.begin(limit)
        self._read(answer, deadline)
        keeps = answer.keep_alive and not answer.cut and not answer.after_complete
        return Reply(
            status=int(answer.parser.get_status_code()),
            reason=b"".join(answer.reason).decode("latin-1").strip(),
            headers=Headers(answer.fields),
            body=b"".join(answer.body),
            reusable=keeps and answer.complete,
        )

    def _read(self, answer: _Answer, deadline: float) -> None:
        got_any = False
        while not answer.complete and not answer.cut:
            self.sock.settimeout(remaining(deadline))
            data = self.sock.recv(RECEIVE_BYTES)
            if not data:
                if answer.headers_done and answer.until_close():
                    answer.complete = True  # the close ends a body without a length
                    break
                if not got_any:
                    # What http.client says of a kept connection the server closed while idle.
                    raise ConnectionResetError("the server closed the connection without an answer")
                raise ProtocolError("the answer ended before it was whole")
            got_any = True
            try:
                answer.parser.feed_data(data)
            except httptools.HttpParserError as error:
                raise ProtocolError(f"not an HTTP answer ({error})") from None


def remaining(deadline: float) -> float:
    return max(0.001, deadline - time.monotonic())


class Watchdog:
    """Shuts the socket of an exchange at its deadline: a server that drips bytes is cut off too.

    One thread per Client watches its exchanges one after another (a thread per post cost more
    than a post to a kept connection); it ends when idle, and starts again when needed.
    """

    IDLE_SECONDS = 5.0

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._deadline: float | None = None
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._idle = False
        self.fired = False

    @contextlib.contextmanager
    def exchange(self, deadline: float) -> Iterator[Watchdog]:
        with self._lock:
            self._deadline, self._sock, self.fired = deadline, None, False
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, daemon=True)
                self._thread.start()
            elif self._idle:
                # Otherwise it wakes by itself at the last exchange's deadline, sooner than
                # this one's, and finds this one: a wake-up per post cost a tenth of a post.
                self._lock.notify()
        try:
            yield self
        finally:
            with self._lock:
                self._deadline, self._sock = None, None

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sock = sock
            if self._deadline is not None and time.monotonic() >= self._deadline:
                self._cut()

    def _run(self) -> None:
        with self._lock:
            while True:
                if self._deadline is None:
                    self._idle = True
                    woken = self._lock.wait(self.IDLE_SECONDS)
                    self._idle = False
                    if not woken and self._deadline is None:
                        self._thread = None
                        return
                    continue
                left = self._deadline - time.monotonic()
                if left <= 0:
                    self._cut()
                    self._deadline = None
                else:
                    self._lock.wait(left)

    def _cut(self) -> None:
        self.fired = True
        if self._sock is not None:
            # The plain socket's shutdown, also under TLS: a blocked read returns at once.
            with contextlib.suppress(OSError):
                socket.socket.shutdown(self._sock, socket.SHUT_RDWR)
