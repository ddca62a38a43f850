"""SMS settings: read from the environment, secrets from files too, refused when wrong."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

from statuspage.env import ImproperSetting

SETTINGS_PY = Path(__file__).resolve().parents[2] / "statuspage" / "settings.py"
NAMES = (
    "SMS_PROVIDER", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_AUTH_TOKEN_FILE",
    "TWILIO_FROM", "TWILIO_MESSAGING_SERVICE_SID", "TWILIO_API_URL", "ELKS_API_USERNAME",
    "ELKS_API_PASSWORD", "ELKS_API_PASSWORD_FILE", "ELKS_FROM", "ELKS_API_URL",
    "SMS_INBOUND_SECRET", "SMS_DEFAULT_REGION", "SMS_DAILY_PER_NUMBER", "SMS_DAILY_BUDGET",
)  # fmt: skip


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


def test_sms_is_off_by_default_with_safe_caps(load_settings):
    settings = load_settings()
    assert settings["SMS_PROVIDER"] == ""
    assert settings["TWILIO_API_URL"] == "https://api.twilio.com"
    assert settings["ELKS_API_URL"] == "https://api.46elks.com"
    assert settings["SMS_DEFAULT_REGION"] == "NO"
    assert (settings["SMS_DAILY_PER_NUMBER"], settings["SMS_DAILY_BUDGET"]) == (10, 2000)


def test_secrets_come_from_files_too(load_settings, tmp_path):
    (tmp_path / "token").write_text("twilio-token\n")
    (tmp_path / "password").write_text("elks-password\n")
    settings = load_settings(
        SMS_PROVIDER="46ELKS",
        TWILIO_AUTH_TOKEN_FILE=str(tmp_path / "token"),
        ELKS_API_PASSWORD_FILE=str(tmp_path / "password"),
        ELKS_API_URL="https://api.46elks.com/",
        SMS_DEFAULT_REGION="se",
    )
    assert settings["SMS_PROVIDER"] == "46elks"
    assert settings["TWILIO_AUTH_TOKEN"] == "twilio-token"
    assert settings["ELKS_API_PASSWORD"] == "elks-password"
    assert settings["ELKS_API_URL"] == "https://api.46elks.com"
    assert settings["SMS_DEFAULT_REGION"] == "SE"


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("SMS_PROVIDER", "vonage", "is not empty, twilio or 46elks"),
        ("TWILIO_API_URL", "api.twilio.com", "is not https://host[:port][/path]"),
        ("SMS_DEFAULT_REGION", "Norway", "is not a country code"),
        ("SMS_DAILY_BUDGET", "-1", "SMS_DAILY_BUDGET"),
    ],
)
def test_wrong_values_stop_the_start(load_settings, name, value, says):
    with pytest.raises(ImproperSetting, match=says.replace("[", r"\[").replace("]", r"\]")):
        load_settings(**{name: value})
