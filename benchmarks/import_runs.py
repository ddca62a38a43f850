"""What the importer benchmarks share: one import measured in a child process, and main().

A fresh SQLite database is migrated in one process and the import runs in another, so its
peak resident memory (ru_maxrss of that child) is the import's own; the machine's load
average is recorded before and after each run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HERE = ROOT / "benchmarks"
OUT = HERE / "out"
README = HERE / "README.md"


def child_env(var: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        VAR_DIR=str(var),
        DJANGO_SETTINGS_MODULE="statuspage.settings",
        DEBUG="false",
        LOG_LEVEL="WARNING",
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    )
    return env


def measure_import(code: str, source: Path, var: Path, timeout: float) -> dict[str, Any]:
    """Migrate a fresh database under `var`, then run `code` on `source` in a child.

    `code` prints its figures as JSON on its last line of output.
    """
    env = child_env(var)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    load_before = os.getloadavg()
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", code, str(source)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    figures.update(
        child_seconds=round(time.monotonic() - started, 2),
        load_before=[round(x, 2) for x in load_before],
        load_after=[round(x, 2) for x in os.getloadavg()],
    )
    return figures


def write_readme(text: str, start: str, end: str) -> None:
    """Put `text` between the markers `start` and `end` in README.md (at its end if absent)."""
    current = README.read_text()
    block = f"{start}\n{text.strip()}\n{end}"
    if start in current and end in current:
        head, rest = current.split(start, 1)
        current = f"{head}{block}{rest.split(end, 1)[1]}"
    else:
        current = f"{current.rstrip()}\n\n{block}\n"
    README.write_text(current)


@dataclass(frozen=True)
class ImportBenchmark:
    """One importer's benchmark: its sizes, how one size is measured, how figures read."""

    name: str  # "statuspage-import": the raw figures' file name and the README markers
    unit: str  # "incidents", "posts"
    quick_sizes: Sequence[int]
    sizes: Sequence[int]
    measure: Callable[[int, Path], dict[str, Any]]
    section: Callable[[dict[str, Any]], str]

    @property
    def markers(self) -> tuple[str, str]:
        return f"<!-- {self.name}:start -->", f"<!-- {self.name}:end -->"

    def main(self, description: str, argv: list[str] | None = None) -> int:
        parser = argparse.ArgumentParser(description=description)
        quick = " and ".join(f"{n:,}" for n in self.quick_sizes)
        parser.add_argument("--quick", action="store_true", help=f"{quick} {self.unit}")
        parser.add_argument("--sizes", type=int, nargs="+", help="other sizes, e.g. 2000")
        parser.add_argument("--out", type=Path, help="also write the figures here as JSON")
        parser.add_argument("--readme", action=argparse.BooleanOptionalAction)
        opts = parser.parse_args(argv)
        sizes = opts.sizes or (self.quick_sizes if opts.quick else self.sizes)
        with tempfile.TemporaryDirectory(prefix=f"{self.name}-bench-") as workdir:
            runs = [self.measure(n, Path(workdir)) for n in sizes]
        results = {
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "nproc": os.cpu_count(),
            "python": sys.version.split()[0],
            "runs": runs,
        }
        text = self.section(results)
        print(f"\n{text}\n")
        OUT.mkdir(exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        raw = OUT / f"{self.name}-{stamp}{'-quick' if opts.quick else ''}.json"
        raw.write_text(json.dumps(results, indent=2))
        if opts.out:
            opts.out.write_text(json.dumps(results, indent=2))
        if opts.readme if opts.readme is not None else not (opts.quick or opts.sizes):
            write_readme(text, *self.markers)
        return 0
