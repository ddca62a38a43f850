"""The Norwegian catalogue is whole and current: every interface string translated, none fuzzy,
the committed .po what `make messages` gathers from the code today, the .mo compiled from it."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

LOCALE = Path(settings.BASE_DIR) / "locale"
PO = LOCALE / "nb" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
# The one line of a .po that changes on every run of makemessages.
CREATION_DATE = re.compile(r'^"POT-Creation-Date: .*\n', re.MULTILINE)


def _gettext_tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} is part of GNU gettext (tests/system_deps.py installs it)"
    return path


def _statistics(po: Path) -> str:
    msgfmt = _gettext_tool("msgfmt")
    result = subprocess.run(
        [msgfmt, "--check", "--statistics", "-o", "/dev/null", str(po)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stderr.strip()


def _entries(po: Path, *flags: str) -> str:
    msgattrib = _gettext_tool("msgattrib")
    result = subprocess.run(
        [msgattrib, *flags, "--no-location", str(po)], capture_output=True, text=True, check=True
    )
    return result.stdout


def test_every_interface_string_has_a_norwegian_translation() -> None:
    assert _entries(PO, "--untranslated") == "", "untranslated entries"
    assert _entries(PO, "--only-fuzzy", "--ignore-file=/dev/null") == "", "fuzzy entries"
    statistics = _statistics(PO)
    assert re.fullmatch(r"\d+ translated messages\.", statistics), statistics


def test_the_catalogue_holds_what_the_code_marks_today(tmp_path: Path) -> None:
    """`make messages` was run after the last string changed (nothing new, nothing stale)."""
    _gettext_tool("xgettext")
    shutil.copytree(LOCALE, tmp_path / "locale")
    fresh = tmp_path / "locale" / "nb" / "LC_MESSAGES" / "django.po"
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(settings.BASE_DIR)
        patch.setattr(settings, "LOCALE_PATHS", [tmp_path / "locale"])
        call_command(
            "makemessages",
            locale=["nb"],
            no_obsolete=True,
            add_location="file",
            ignore_patterns=[".venv/*", "var/*", "tests/*", "benchmarks/*"],
            verbosity=0,
        )
    committed = CREATION_DATE.sub("", PO.read_text())
    gathered = CREATION_DATE.sub("", fresh.read_text())
    assert gathered == committed, "run `make messages` and translate what it adds"


def test_the_compiled_catalogue_is_the_committed_one(tmp_path: Path) -> None:
    compiled = tmp_path / "django.mo"
    subprocess.run([_gettext_tool("msgfmt"), "-o", str(compiled), str(PO)], check=True)
    assert compiled.read_bytes() == MO.read_bytes(), "run `make messages` to compile the .po"
