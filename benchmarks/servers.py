"""Start granian and nginx on loopback, stop them by pid, and load them with wrk."""

from __future__ import annotations

import contextlib
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

NGINX = "/usr/sbin/nginx"
NGINX_CONF = """\
daemon off;
master_process on;
worker_processes 2;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    default_type "text/html; charset=utf-8";
    server {{
        listen 127.0.0.1:{port};
        root {root};
        location = / {{ try_files /{page} =404; }}
    }}
}}
"""


@dataclass
class Server:
    """A server process we started, in its own session so its workers go with it."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM to the server's pid; SIGKILL to its session if anything is left after timeout."""
        if self.process.poll() is None:
            self.process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout)
        if self.process.poll() is None or session_stats(self.process.pid):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout)

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by every process in the server's session."""
        ticks = sum(int(f[11]) + int(f[12]) for f in session_stats(self.process.pid))
        return ticks / os.sysconf("SC_CLK_TCK")

    def log_tail(self, lines: int = 20) -> str:
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def session_stats(session: int) -> list[list[str]]:
    """/proc/PID/stat of each live process in a session, from its third field (the state) on."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[3]) == session and fields[0] != "Z":
            found.append(fields)
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(name: str, command: list[str], env: dict[str, str], log: Path, port: int) -> Server:
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = Server(name, process, log, port)
    try:
        wait_listening(server)
    except BaseException:
        server.stop()
        raise
    return server


def wait_listening(server: Server, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited early:\n{server.log_tail()}")
        try:
            with socket.create_connection(("127.0.0.1", server.port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{server.name} did not listen on {server.port} in {timeout} s")


def start_granian(env: dict[str, str], workdir: Path, workers: int = 2) -> Server:
    """granian serving statuspage's WSGI application (with whatever settings env names)."""
    port = free_port()
    granian = Path(sys.executable).with_name("granian")
    command = [
        str(granian if granian.exists() else shutil.which("granian") or "granian"),
        *("--interface", "wsgi", "--workers", str(workers)),
        *("--host", "127.0.0.1", "--port", str(port)),
        "statuspage.wsgi:application",
    ]
    env = {k: v for k, v in env.items() if not k.startswith("GRANIAN_")}
    return _start("granian", command, env, workdir / "granian.log", port)


def start_nginx(page: Path, tmp: Path) -> Server | None:
    """nginx serving `page` at / as a static file; None when nginx is not installed.

    tmp is a new folder for its files, in folders any user may traverse.
    """
    if not Path(NGINX).exists():
        return None
    tmp.mkdir()
    # Workers run as an unprivileged user when we are root: they must be able to read the page.
    tmp.chmod(0o755)
    served = tmp / "page.html"
    shutil.copyfile(page, served)
    served.chmod(0o644)
    port = free_port()
    conf = tmp / "nginx.conf"
    conf.write_text(NGINX_CONF.format(tmp=tmp, port=port, root=tmp, page=served.name))
    command = [NGINX, "-p", str(tmp), "-e", str(tmp / "error.log"), "-c", str(conf)]
    return _start("nginx", command, dict(os.environ), tmp / "stdout.log", port)


def fetch(url: str, timeout: float = 30.0) -> tuple[float, bytes]:
    """GET url; the wall time in seconds and the body (raises on a non-2xx answer)."""
    start = time.perf_counter()
    with urllib.request.urlopen(url, timeout=timeout) as response:
        body = response.read()
    return time.perf_counter() - start, body


@dataclass
class WrkResult:
    url: str
    seconds: int
    requests_per_second: float
    requests: int
    latency_ms: dict[str, float] = field(default_factory=dict)
    errors: int = 0
    non_2xx: int = 0
    # The server's CPU time per answered request: steadier than req/s on a busy machine.
    cpu_ms_per_request: float = 0.0
    # Cores kept busy by anything but this server and wrk during the run, on average: other
    # work on the machine skews the figures.
    other_cpu_cores: float = 0.0
    raw: str = ""

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return round(float(number) * _UNITS[unit], 3)


def parse_wrk(url: str, seconds: int, raw: str) -> WrkResult:
    rps = re.search(r"Requests/sec:\s+([\d.]+)", raw)
    total = re.search(r"(\d+) requests in", raw)
    latency = {
        f"p{pct}": _ms(value)
        for pct, value in re.findall(r"^\s+(\d+)%\s+([\d.]+\w+)\s*$", raw, re.M)
    }
    socket_errors = re.search(r"Socket errors: (.*)", raw)
    errors = sum(int(n) for n in re.findall(r"\d+", socket_errors.group(1))) if socket_errors else 0
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", raw)
    return WrkResult(
        url=url,
        seconds=seconds,
        requests_per_second=float(rps.group(1)) if rps else 0.0,
        requests=int(total.group(1)) if total else 0,
        latency_ms=latency,
        errors=errors,
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        raw=raw,
    )


def wrk_path() -> str | None:
    return shutil.which("wrk") or ("/usr/bin/wrk" if Path("/usr/bin/wrk").exists() else None)


def run_wrk(url: str, seconds: int, threads: int = 2, connections: int = 64) -> WrkResult:
    """One bounded wrk run against a loopback URL.

    --timeout 10s: wrk leaves answers slower than its 2 s default out of the latency figures
    (and counts them as errors), which a slow page behind 64 connections reaches.
    """
    if not url.startswith("http://127.0.0.1:"):
        raise ValueError(f"load tests stay on loopback, not {url}")
    command = [wrk_path() or "wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s"]
    done = subprocess.run(
        [*command, "--timeout", "10s", "--latency", url],
        capture_output=True,
        text=True,
        timeout=seconds + 30,
    )
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed on {url}: {done.stderr.strip()}")
    return parse_wrk(url, seconds, done.stdout)


def machine_busy_seconds() -> float:
    """CPU time all cores have spent on anything but idling and waiting, since boot."""
    fields = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def load_test(server: Server, path: str, seconds: int, warmup: int) -> WrkResult:
    """A warm-up run (discarded), then the measured run with the server's CPU time."""
    url = server.url + path
    if warmup > 0:
        run_wrk(url, warmup)
    busy, wrk, cpu = machine_busy_seconds(), children_cpu_seconds(), server.cpu_seconds()
    start = time.monotonic()
    result = run_wrk(url, seconds)
    used = server.cpu_seconds() - cpu
    other = machine_busy_seconds() - busy - used - (children_cpu_seconds() - wrk)
    result.cpu_ms_per_request = round(1000 * used / max(result.requests, 1), 3)
    result.other_cpu_cores = round(max(other, 0.0) / (time.monotonic() - start), 2)
    return result
