"""Settings read the environment through typed helpers that fail loudly on a bad value."""

from __future__ import annotations

import os
import re
import runpy
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from statuspage.env import (
    ImproperSetting,
    env_bool,
    env_float,
    env_int,
    env_list,
    env_str,
    env_zone,
    env_zones,
)

SETTINGS_PY = Path(__file__).resolve().parent.parent / "statuspage" / "settings.py"


@pytest.fixture
def env(monkeypatch):
    """Set environment variables for one test; X is unset to begin with."""
    for name in ("X", "X_FILE"):
        monkeypatch.delenv(name, raising=False)

    def set_env(**values: str) -> None:
        for name, value in values.items():
            monkeypatch.setenv(name, value)

    return set_env


@pytest.mark.parametrize(
    ("read", "value"),
    [
        (lambda: env_bool("X", False), "maybe"),
        (lambda: env_bool("X", False), "2"),
        (lambda: env_int("X", 5), "ten"),
        (lambda: env_int("X", 5), "1.5"),
        (lambda: env_int("X", 5, minimum=1), "0"),
        (lambda: env_zone("X", "UTC"), "Mars/Olympus"),
        (lambda: env_zone("X", "UTC"), "../../etc/passwd"),
        (lambda: env_zones("X", ["UTC"]), "UTC, Mars/Olympus"),
        (lambda: env_float("X", 0.3), "thirty percent"),
        (lambda: env_float("X", 0.3), "nan"),
        (lambda: env_float("X", 0.3, minimum=0, maximum=1), "1.5"),
        (lambda: env_float("X", 0.3, minimum=0, maximum=1), "-0.1"),
    ],
    ids=[
        "bool-maybe",
        "bool-2",
        "int-ten",
        "int-fraction",
        "int-below-minimum",
        "zone-mars",
        "zone-path",
        "zones-one-bad",
        "float-words",
        "float-nan",
        "float-above-maximum",
        "float-below-minimum",
    ],
)
def test_it_fails_loudly_on_a_bad_value(env, read, value):
    env(X=value)

    with pytest.raises(ImproperSetting, match="X"):
        read()


def test_a_bad_setting_is_a_value_error_naming_the_value(env):
    env(X="maybe")

    with pytest.raises(ValueError, match="'maybe'"):
        env_bool("X", False)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1", True),
        ("true", True),
        ("YES", True),
        (" on ", True),
        ("0", False),
        ("false", False),
        ("No", False),
        ("off", False),
    ],
)
def test_it_reads_booleans(env, value, expected):
    env(X=value)

    assert env_bool("X", not expected) is expected


def test_it_reads_fractions(env):
    env(X="0.25")
    assert env_float("X", 0.3, minimum=0, maximum=1) == 0.25

    env(X="1")
    assert env_float("X", 0.3, minimum=0, maximum=1) == 1.0


def test_it_reads_whole_numbers_zones_and_lists(env):
    env(X="10")
    assert env_int("X", 5, minimum=1) == 10

    env(X="Europe/Oslo")
    assert env_zone("X", "UTC") == "Europe/Oslo"

    env(X="UTC, America/New_York,,Asia/Tokyo ")
    assert env_zones("X", []) == ["UTC", "America/New_York", "Asia/Tokyo"]
    assert env_list("X", []) == ["UTC", "America/New_York", "Asia/Tokyo"]


@pytest.mark.parametrize("value", [None, ""])
def test_it_uses_the_default_when_the_variable_is_unset_or_empty(env, value):
    if value is not None:
        env(X=value)

    assert env_str("X", "fallback") == "fallback"
    assert env_bool("X", True) is True
    assert env_int("X", 7) == 7
    assert env_zone("X", "Europe/Oslo") == "Europe/Oslo"
    assert env_list("X", ["a"]) == ["a"]


def test_it_reads_a_secret_from_the_file_named_by_the_file_variable(env, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("s3cret-value\n")
    env(X_FILE=str(secret))

    assert env_str("X", "fallback") == "s3cret-value"


def test_the_file_wins_over_the_plain_variable(env, tmp_path):
    (tmp_path / "x").write_text("42")
    env(X="7", X_FILE=str(tmp_path / "x"))

    assert env_int("X", 0) == 42


def test_a_bad_value_in_a_file_fails_loudly_too(env, tmp_path):
    (tmp_path / "x").write_text("maybe\n")
    env(X_FILE=str(tmp_path / "x"))

    with pytest.raises(ImproperSetting):
        env_bool("X", False)


def test_a_missing_secret_file_fails_loudly(env, tmp_path):
    env(X_FILE=str(tmp_path / "not-there"), X="plain")

    with pytest.raises(FileNotFoundError):
        env_str("X", "fallback")


def test_an_empty_file_variable_is_ignored(env):
    env(X_FILE="", X="plain")

    assert env_str("X", "fallback") == "plain"


# The settings module uses them


@pytest.fixture
def load_settings(monkeypatch, tmp_path):
    def load(**values: str) -> dict[str, object]:
        for name in (
            "SECRET_KEY",
            "SECRET_KEY_FILE",
            "DEBUG",
            "REQUIRE_SECRET_KEY",
            "SITE_TIME_ZONE",
            "EXTRA_TIME_ZONES",
            "HISTORY_PAGE_SIZE",
            "DATABASE_URL",
            "DATABASE_POOL_SIZE",
            "HOST",
            "PORT",
            "SITE_URL",
            "SITE_LANGUAGE",
            "SITE_LANGUAGES",
            "ALLOWED_HOSTS",
            "TRUSTED_PROXIES",
            "SECURE_SSL_REDIRECT",
            "SECURE_HSTS_SECONDS",
        ):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("VAR_DIR", str(tmp_path / "var"))
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        return runpy.run_path(str(SETTINGS_PY))

    return load


def test_the_settings_read_zones_sizes_and_secret_files(load_settings, tmp_path):
    (tmp_path / "key").write_text("from-a-file\n")

    settings = load_settings(
        SITE_TIME_ZONE="America/New_York",
        EXTRA_TIME_ZONES="UTC,Asia/Tokyo",
        HISTORY_PAGE_SIZE="5",
        SECRET_KEY_FILE=str(tmp_path / "key"),
    )

    assert settings["SITE_TIME_ZONE"] == "America/New_York"
    assert settings["EXTRA_TIME_ZONES"] == ["UTC", "Asia/Tokyo"]
    assert settings["HISTORY_PAGE_SIZE"] == 5
    assert settings["SECRET_KEY"] == "from-a-file"


@pytest.mark.parametrize(
    ("values", "site_url"),
    [
        ({}, "http://127.0.0.1:8000"),
        ({"PORT": "8080"}, "http://127.0.0.1:8080"),
        ({"HOST": "0.0.0.0", "PORT": "8080"}, "http://127.0.0.1:8080"),
        ({"HOST": "::"}, "http://[::1]:8000"),
        ({"HOST": "2001:db8::5", "PORT": "9000"}, "http://[2001:db8::5]:9000"),
        ({"HOST": "[2001:db8::5]"}, "http://[2001:db8::5]:8000"),
        ({"HOST": "status.lan"}, "http://status.lan:8000"),
        ({"SITE_URL": "https://status.example.com/", "PORT": "8080"}, "https://status.example.com"),
    ],
    ids=["default", "port", "any-ipv4", "any-ipv6", "ipv6", "ipv6-bracketed", "name", "set"],
)
def test_the_site_address_follows_where_serve_listens_unless_set(load_settings, values, site_url):
    settings = load_settings(**values)

    assert settings["SITE_URL"] == site_url


@pytest.mark.parametrize(
    ("values", "host"),
    [
        ({"HOST": "2001:db8::5"}, "[2001:db8::5]"),
        ({"HOST": "192.0.2.7"}, "192.0.2.7"),
        ({"SITE_URL": "https://status.example.com"}, "status.example.com"),
    ],
)
def test_the_site_answers_at_its_own_address_by_default(load_settings, values, host):
    allowed = load_settings(**values)["ALLOWED_HOSTS"]

    assert allowed == ["127.0.0.1", "localhost", "[::1]", host]
    assert load_settings(ALLOWED_HOSTS="status.example.com", **values)["ALLOWED_HOSTS"] == [
        "status.example.com"
    ]


@pytest.mark.parametrize(
    "values",
    [
        {"SITE_TIME_ZONE": "Mars/Olympus"},
        {"PORT": "eighty"},
        {"EXTRA_TIME_ZONES": "UTC,Mars/Olympus"},
        {"HISTORY_PAGE_SIZE": "0"},
        {"DEBUG": "maybe"},
        {"REQUIRE_SECRET_KEY": "true"},
        {"TRUSTED_PROXIES": "127.0.0.1,nginx.internal"},
        {"UPTIME_WEIGHT_PARTIAL_OUTAGE": "2"},
        {"MASTODON_EN_ACCESS_TOKEN": "token"},
        {"SITE_LANGUAGES": "en", "X_NB_API_KEY": "key"},
    ],
    ids=[
        "site-zone",
        "port",
        "extra-zones",
        "page-size",
        "debug",
        "missing-secret-key",
        "trusted-proxies",
        "uptime-weight",
        "account-in-the-default-language",
        "account-in-a-language-the-site-lacks",
    ],
)
def test_the_settings_refuse_to_load_with_a_bad_value(load_settings, values):
    with pytest.raises(ImproperSetting):
        load_settings(**values)


def test_a_second_social_account_is_read_for_the_language_the_site_has_besides_its_default(
    load_settings,
):
    nb = load_settings(MASTODON_NB_API_BASE_URL="https://mastodon.example/", X_NB_API_KEY="key")

    assert nb["MASTODON_NB_API_BASE_URL"] == "https://mastodon.example"
    assert (nb["X_NB_API_KEY"], nb["X_NB_ACCESS_TOKEN"], nb["X_EN_API_KEY"]) == ("key", "", "")
    with pytest.raises(ImproperSetting, match="X_NB_API_KEY is set, but nb is the site's default"):
        load_settings(SITE_LANGUAGE="nb")


def test_a_norwegian_site_may_have_a_second_account_in_english(load_settings):
    assert load_settings(SITE_LANGUAGE="nb", X_EN_API_KEY="key")["X_EN_API_KEY"] == "key"


def test_the_uptime_weights_default_to_the_published_formula_and_read_the_environment(
    load_settings,
):
    defaults = load_settings()
    assert [defaults[f"UPTIME_WEIGHT_{s}"] for s in ("MAJOR_OUTAGE", "PARTIAL_OUTAGE")] == [1, 0.3]
    assert defaults["UPTIME_WEIGHT_DEGRADED_PERFORMANCE"] == 0
    assert load_settings(UPTIME_WEIGHT_DEGRADED_PERFORMANCE="0.1")[
        "UPTIME_WEIGHT_DEGRADED_PERFORMANCE"
    ] == pytest.approx(0.1)


def test_https_redirect_and_hsts_are_off_for_make_run_and_read_from_the_environment(
    load_settings,
):
    local = load_settings()
    assert (local["SECURE_SSL_REDIRECT"], local["SECURE_HSTS_SECONDS"]) == (False, 0)
    production = load_settings(SECURE_SSL_REDIRECT="true", SECURE_HSTS_SECONDS="31536000")
    assert (production["SECURE_SSL_REDIRECT"], production["SECURE_HSTS_SECONDS"]) == (
        True,
        31536000,
    )


def test_web_processes_can_share_a_pool_of_postgresql_connections(load_settings):
    pooled = load_settings(
        DATABASE_URL="postgres://status:secret@127.0.0.1:5432/status", DATABASE_POOL_SIZE="6"
    )["DATABASES"]["default"]
    assert pooled["OPTIONS"]["pool"] == {"min_size": 1, "max_size": 6, "timeout": 10}
    assert pooled["CONN_MAX_AGE"] == 0  # Django refuses a pool with persistent connections

    unpooled = load_settings(DATABASE_URL="postgres://status:secret@127.0.0.1:5432/status")
    assert "pool" not in unpooled["DATABASES"]["default"].get("OPTIONS", {})
    sqlite = load_settings(DATABASE_POOL_SIZE="6")["DATABASES"]["default"]
    assert "pool" not in sqlite.get("OPTIONS", {})


RENDER_THE_HEADER = """
import django
django.setup()
from django.test import Client
print(Client(HTTP_HOST="127.0.0.1").get("/no-such-page/").content.decode())
"""


def test_port_n_make_run_links_every_page_to_port_n(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"SITE_URL", "HOST"}},
        "PORT": "9123",
        "VAR_DIR": str(tmp_path),
        "STATIC_MANIFEST": "false",
        "DJANGO_SETTINGS_MODULE": "statuspage.settings",
    }
    page = subprocess.run(
        [sys.executable, "-c", RENDER_THE_HEADER],
        cwd=SETTINGS_PY.parent.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout

    assert 'href="http://127.0.0.1:9123/subscribe/"' in page


def test_sqlite_writers_wait_for_each_other_instead_of_failing(load_settings, tmp_path):
    """SQLite's deferred transactions fail at once with "database is locked" when they read
    before writing while another process writes; the console act then answered 500 (found by
    the maintenance journey). BEGIN IMMEDIATE waits for the lock; WAL lets readers go on."""
    import sqlite3
    import threading

    options = load_settings()["DATABASES"]["default"]["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in options["init_command"]

    path = tmp_path / "db.sqlite3"

    def connect() -> sqlite3.Connection:
        db = sqlite3.connect(path, timeout=options["timeout"], isolation_level=None)
        db.execute(options["init_command"])
        return db

    first = connect()
    first.execute("CREATE TABLE t (n INTEGER)")
    first.execute(f"BEGIN {options['transaction_mode']}")
    first.execute("INSERT INTO t VALUES (1)")
    waiting, errors = threading.Event(), []

    def act() -> None:
        second = connect()
        waiting.set()
        try:
            second.execute(f"BEGIN {options['transaction_mode']}")  # waits for `first`
            second.execute("SELECT count(*) FROM t").fetchone()
            second.execute("INSERT INTO t VALUES (2)")
            second.execute("COMMIT")
        except sqlite3.Error as error:
            errors.append(error)

    writer = threading.Thread(target=act)
    writer.start()
    waiting.wait()
    # A reader is never blocked by the writer under WAL.
    assert connect().execute("SELECT count(*) FROM t").fetchone() == (0,)
    first.execute("COMMIT")
    writer.join(timeout=30)
    assert not writer.is_alive() and not errors, errors
    assert connect().execute("SELECT count(*) FROM t").fetchone() == (2,)


def readme_production_settings() -> dict[str, str]:
    """The `NAME=value` settings the README's Production section sets in its first step."""
    readme = (SETTINGS_PY.parent.parent / "README.md").read_text()
    section = readme.split("## Production", 1)[1]
    first_step = section.split("\n2. ", 1)[0]
    return dict(re.findall(r"`([A-Z_]+)=([^`\s]+)`", first_step))


def test_the_readme_production_settings_pass_the_deploy_check_on_https(tmp_path):
    values = readme_production_settings()
    assert values["SECURE_SSL_REDIRECT"] == "true"
    env = {
        name: value
        for name, value in os.environ.items()
        if name in {"PATH", "HOME", "LANG", "TMPDIR"} or name.startswith("PYTHON")
    }
    env.update(
        {name: value for name, value in values.items() if not name.endswith("_URL")},
        SITE_URL=values["SITE_URL"],
        SECRET_KEY=secrets.token_urlsafe(50),
        VAR_DIR=str(tmp_path / "var"),
        DJANGO_SETTINGS_MODULE="statuspage.settings",
    )
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=SETTINGS_PY.parent.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    report = done.stdout + done.stderr
    assert done.returncode == 0, report
    for check in ("security.W004", "security.W008", "security.W009", "security.W012"):
        assert check not in report, report
