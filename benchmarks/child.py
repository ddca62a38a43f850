"""One benchmark of run.py in a fresh process: its figures read back, or why there are none."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def run_module(module: str, out: Path, quick: bool, timeout: float) -> dict[str, Any]:
    """`python -m benchmarks.MODULE --no-readme --out OUT [--quick]`; SIGTERM it (it stops its
    servers on SIGTERM) if it outlives `timeout` or we are stopped first."""
    command = [sys.executable, "-m", f"benchmarks.{module}", "--no-readme", "--out", str(out)]
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    child = subprocess.Popen([*command, *(["--quick"] if quick else [])], cwd=ROOT, env=env)
    try:
        child.wait(timeout)
    except BaseException as error:
        child.terminate()
        try:
            child.wait(30)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        if not isinstance(error, subprocess.TimeoutExpired):
            raise
        return {"skipped": f"did not finish within {timeout:.0f} s"}
    if child.returncode != 0 or not out.exists():
        return {"skipped": f"benchmarks/{module}.py exited with {child.returncode}"}
    return dict(json.loads(out.read_text()))
