"""Matrix's settings: read from the environment, the token from a file too, refused when wrong."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

from statuspage.env import ImproperSetting

SETTINGS_PY = Path(__file__).resolve().parents[2] / "statuspage" / "settings.py"
NAMES = ("MATRIX_HOMESERVER_URL", "MATRIX_ACCESS_TOKEN", "MATRIX_ACCESS_TOKEN_FILE")


@pytest.fixture
def load_settings(monkeypatch, tmp_path):
    def load(**values: str) -> dict[str, object]:
        for name in (*NAMES, "MATRIX_ROOM_IDS"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("VAR_DIR", str(tmp_path / "var"))
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        return runpy.run_path(str(SETTINGS_PY))

    return load


def test_matrix_is_read_from_the_environment_with_the_token_from_a_file(load_settings, tmp_path):
    (tmp_path / "token").write_text("syt_from_a_file\n")

    settings = load_settings(
        MATRIX_HOMESERVER_URL="https://matrix.example.org/",
        MATRIX_ACCESS_TOKEN_FILE=str(tmp_path / "token"),
        MATRIX_ROOM_IDS="!ops:example.org, !status:example.org,!ops:example.org",
    )

    assert settings["MATRIX_HOMESERVER_URL"] == "https://matrix.example.org"
    assert settings["MATRIX_ACCESS_TOKEN"] == "syt_from_a_file"
    assert settings["MATRIX_ROOM_IDS"] == ["!ops:example.org", "!status:example.org"]


def test_matrix_is_off_by_default(load_settings):
    settings = load_settings()

    assert [settings[name] for name in NAMES[:2]] == ["", ""]
    assert settings["MATRIX_ROOM_IDS"] == []


@pytest.mark.parametrize(
    ("values", "words"),
    [
        ({"MATRIX_ROOM_IDS": "!ops:example.org,#status:example.org"}, "'#status:example.org'"),
        ({"MATRIX_HOMESERVER_URL": "matrix.example.org"}, "is not https://host"),
        ({"MATRIX_HOMESERVER_URL": "https://matrix.example.org/?x=1"}, "is not https://host"),
    ],
    ids=["alias-not-id", "no-scheme", "query"],
)
def test_a_wrong_matrix_setting_stops_the_start_saying_what_is_wrong(load_settings, values, words):
    with pytest.raises(ImproperSetting, match=words):
        load_settings(**values)
