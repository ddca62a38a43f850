"""Telegram's settings: read from the environment, secrets from files too, refused when wrong."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

from statuspage.env import ImproperSetting

SETTINGS_PY = Path(__file__).resolve().parents[2] / "statuspage" / "settings.py"
NAMES = (
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_BOT_TOKEN_FILE",
    "TELEGRAM_BOT_USERNAME",
    "TELEGRAM_WEBHOOK_SECRET",
    "TELEGRAM_WEBHOOK_SECRET_FILE",
    "TELEGRAM_API_URL",
)


@pytest.fixture
def load_settings(monkeypatch, tmp_path):
    def load(**values: str) -> dict[str, object]:
        for name in NAMES:
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("VAR_DIR", str(tmp_path / "var"))
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        return runpy.run_path(str(SETTINGS_PY))

    return load


def test_telegram_is_read_from_the_environment_with_secrets_from_files(load_settings, tmp_path):
    (tmp_path / "token").write_text("123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw\n")
    (tmp_path / "secret").write_text("s3cret-webhook_token\n")

    settings = load_settings(
        TELEGRAM_BOT_TOKEN_FILE=str(tmp_path / "token"),
        TELEGRAM_BOT_USERNAME="@RunboxStatusBot",
        TELEGRAM_WEBHOOK_SECRET_FILE=str(tmp_path / "secret"),
        TELEGRAM_API_URL="http://127.0.0.1:8081/",
    )

    assert settings["TELEGRAM_BOT_TOKEN"] == "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
    assert settings["TELEGRAM_BOT_USERNAME"] == "RunboxStatusBot"
    assert settings["TELEGRAM_WEBHOOK_SECRET"] == "s3cret-webhook_token"
    assert settings["TELEGRAM_API_URL"] == "http://127.0.0.1:8081"


def test_telegram_is_off_by_default(load_settings):
    settings = load_settings()

    assert [settings[f"TELEGRAM_{name}"] for name in ("BOT_TOKEN", "BOT_USERNAME")] == ["", ""]
    assert settings["TELEGRAM_WEBHOOK_SECRET"] == ""
    assert settings["TELEGRAM_API_URL"] == "https://api.telegram.org"


@pytest.mark.parametrize(
    ("values", "words"),
    [
        ({"TELEGRAM_BOT_USERNAME": "t.me/RunboxStatusBot"}, "is not a bot's username"),
        ({"TELEGRAM_WEBHOOK_SECRET": "has spaces in it"}, "1 to 256 letters"),
        ({"TELEGRAM_API_URL": "api.telegram.org"}, "is not https://host"),
    ],
    ids=["username-link", "secret-characters", "api-no-scheme"],
)
def test_a_wrong_telegram_setting_stops_the_start_saying_what_is_wrong(
    load_settings, values, words
):
    with pytest.raises(ImproperSetting, match=words):
        load_settings(**values)
