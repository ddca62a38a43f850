"""An export on SQLite reads one snapshot and lets writers go on meanwhile (a site in use
can be backed up). Run in a process of its own on a SQLite file: the tests' database is
inside a transaction, where the export reads that transaction instead."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Open the export, read its header and first rows, write a component from another process
# (which must not wait for the export), then read the rest: the snapshot does not hold it.
SCRIPT = """
import json, subprocess, sys, time
import django
django.setup()
from actions.export import export_lines
lines = export_lines()
header = json.loads(next(lines))
next(lines)
write = "from incidents.models import Component; Component.objects.create(name='Written during it')"
started = time.monotonic()
subprocess.run([sys.executable, "manage.py", "shell", "-c", write], check=True)
waited = time.monotonic() - started
rest = list(lines)
print(json.dumps({
    "waited": waited,
    "components": header["counts"]["incidents.component"],
    "component_rows": sum('"model": "incidents.component"' in line for line in rest),
    "meanwhile": any("Written during it" in line for line in rest),
}))
"""


def test_an_export_on_sqlite_reads_one_snapshot_without_blocking_writers(tmp_path):
    environment = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'site.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "statuspage.settings",
    }
    manage = [sys.executable, "manage.py"]
    for command in (["migrate", "-v0"], ["load_demo"]):
        subprocess.run([*manage, *command], cwd=ROOT, env=environment, check=True)

    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=environment,
        check=True,
        capture_output=True,
        text=True,
    )

    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    assert outcome["components"] == outcome["component_rows"] == 9
    assert not outcome["meanwhile"]
    # SQLite's busy timeout is 20 s: a writer blocked by the export would wait all of it.
    assert outcome["waited"] < 15
