"""nginx serving the static mirror's local directory under a path prefix, for tests and benchmarks.

    with NginxServer(mirror_dir, prefix="status-mirror") as nginx:
        nginx.url               # http://127.0.0.1:PORT/status-mirror/
        nginx.get("feed.atom")  # (status, content type, body), relative to the prefix

It serves MIRROR_LOCAL_DIR/current/ (the symlink the local mirror swaps) at /<prefix>/, with the
mirror's 404.html for missing pages, from a non-root config in a temporary directory (pid file,
logs, temp paths), on a free loopback port. Stopped by pid: SIGTERM, then SIGKILL after a
timeout; the temporary directory is removed.

Started as root, nginx's workers run as `nobody`: every directory on the way to the mirror must
be world-traversable and its files world-readable (`make_world_readable_dir` helps).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Self

from tests.servers.postgres import _is_alive, free_port

NGINX = "/usr/sbin/nginx"
MIME_TYPES = "/etc/nginx/mime.types"
INSTALL_HINT = "Install it with `apt-get install nginx-light` or `python3 tests/system_deps.py`."

# Debian's mime.types maps .atom, .rss and .json already (repeating them only earns warnings);
# .ics is the one the mirror adds. Text types get "; charset=utf-8", as the live site sends.
CONFIG = """\
daemon off;
master_process on;
worker_processes {workers};
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
    types {{ text/calendar ics; }}
    default_type application/octet-stream;
    charset utf-8;
    charset_types text/css text/plain text/calendar application/javascript
                  application/json application/atom+xml application/rss+xml image/svg+xml;
    sendfile on;
    server {{
        listen 127.0.0.1:{port};
        location /{prefix}/ {{
            alias {mirror}/current/;
            index index.html;
        }}
        error_page 404 /{prefix}/404.html;
    }}
}}
"""


class NginxServerError(RuntimeError):
    pass


def find_nginx() -> str:
    if os.access(NGINX, os.X_OK):
        return NGINX
    if found := shutil.which("nginx"):
        return found
    raise NginxServerError(f"nginx not found at {NGINX} or on PATH. " + INSTALL_HINT)


def make_world_readable_dir(prefix: str) -> Path:
    """A new temporary directory nginx's workers (`nobody` when we are root) can read."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    path.chmod(0o755)
    return path


class NginxServer:
    def __init__(
        self,
        mirror_dir: Path | str,
        *,
        prefix: str = "status-mirror",
        workers: int = 1,
        startup_timeout: float = 10.0,
        stop_timeout: float = 5.0,
    ) -> None:
        self.mirror_dir = Path(mirror_dir)
        self.prefix = prefix.strip("/")
        self.workers = workers
        self.startup_timeout = startup_timeout
        self.stop_timeout = stop_timeout
        self.port = 0
        self.tmpdir: Path | None = None
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The mirror's root, ending in a slash."""
        if not self.port:
            raise NginxServerError("nginx is not running: call start() first.")
        return f"http://127.0.0.1:{self.port}/{self.prefix}/"

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def start(self) -> Self:
        if self.process is not None:
            return self
        binary = find_nginx()
        self.tmpdir = Path(tempfile.mkdtemp(prefix="statuspage-nginx-"))
        atexit.register(self.stop)
        try:
            self._start_on_a_free_port(binary)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """SIGTERM to the master's pid (it ends its workers), SIGKILL to its group after a wait."""
        if self.tmpdir is None:
            return
        atexit.unregister(self.stop)
        if self.process is not None:
            self._stop_process(self.process)
            self.process = None
        shutil.rmtree(self.tmpdir, ignore_errors=True)
        self.tmpdir = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def get(self, path: str = "", timeout: float = 10.0) -> tuple[int, str, bytes]:
        """GET a path relative to the mirror's root (or an absolute URL on this server)."""
        url = path if path.startswith("http://") else self.url + path.lstrip("/")
        return http_get(url, timeout=timeout)

    def error_log(self) -> str:
        if self.tmpdir is None:
            return ""
        with contextlib.suppress(OSError):
            return (self.tmpdir / "error.log").read_text(errors="replace")
        return ""

    # --- how ------------------------------------------------------------------------------

    def _start_on_a_free_port(self, binary: str, attempts: int = 3) -> None:
        assert self.tmpdir is not None
        for attempt in range(attempts):
            self.port = free_port()
            config = self.tmpdir / "nginx.conf"
            config.write_text(
                CONFIG.format(
                    workers=self.workers,
                    tmp=self.tmpdir,
                    port=self.port,
                    prefix=self.prefix,
                    mirror=self.mirror_dir,
                    mime_types=MIME_TYPES,
                )
            )
            log = (self.tmpdir / "stdout.log").open("wb")
            with log:
                self.process = subprocess.Popen(
                    [binary, "-p", str(self.tmpdir), "-e", str(self.tmpdir / "error.log"),
                     "-c", str(config)],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )  # fmt: skip
            try:
                self._wait_until_ready()
                return
            except NginxServerError:
                self._stop_process(self.process)
                self.process = None
                if "Address already in use" not in self.error_log() or attempt == attempts - 1:
                    raise

    def _wait_until_ready(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + self.startup_timeout
        while True:
            if self.process.poll() is not None:
                raise NginxServerError(f"nginx exited at start:\n{self.error_log()}")
            with contextlib.suppress(OSError):
                # Any answer will do (404 before the first build): the server is up.
                http_get(f"{self.origin}/", timeout=1)
                return
            if time.monotonic() > deadline:
                raise NginxServerError(
                    f"nginx did not answer on port {self.port} within "
                    f"{self.startup_timeout:.0f} s:\n{self.error_log()}"
                )
            time.sleep(0.05)

    def _stop_process(self, process: subprocess.Popen[bytes]) -> None:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(self.stop_timeout)
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(self.stop_timeout)
        # Workers leave with the master; wait for any straggler of its session to go too.
        deadline = time.monotonic() + self.stop_timeout
        while (stragglers := _session_members(process.pid)) and time.monotonic() < deadline:
            time.sleep(0.05)
        for pid in stragglers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _session_members(session: int) -> list[int]:
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        pid = int(stat.parent.name)
        if int(fields[3]) == session and _is_alive(pid):
            members.append(pid)
    return members


def http_get(
    url: str, timeout: float = 10.0, headers: dict[str, str] | None = None
) -> tuple[int, str, bytes]:
    """(status, Content-Type, body) of a GET; error statuses are answers too, not exceptions."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers.get("Content-Type", ""), error.read()
