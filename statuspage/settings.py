"""Settings: every value a deployment may change is read from the environment.

The defaults run a complete site on one machine with no external services
(SQLite under var/, an embedded Celery broker on SQLite). The README lists
every variable.
"""

from __future__ import annotations

import itertools
import os
import re
import socket
from email.utils import parseaddr
from pathlib import Path

import dj_database_url

from statuspage.env import (
    BUILT_IN_SECRET_KEY,
    ImproperSetting,
    embedded_smtp_port,
    env_bool,
    env_choice,
    env_float,
    env_int,
    env_list,
    env_networks,
    env_str,
    env_zone,
    env_zones,
    parse_email_url,
    served_url,
    url_host,
)
from statuspage.logs import CELERY_LOGGERS

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG and env_bool("REQUIRE_SECRET_KEY", False):
        raise ImproperSetting("SECRET_KEY must be set in production")
    # A local default keeps `make run` a single command; with it the site answers only
    # requests from this machine (statuspage/local_key.py). Production sets SECRET_KEY.
    SECRET_KEY = BUILT_IN_SECRET_KEY

# Where `manage.py serve` (and so `make run`) listens by default.
SERVE_HOST = env_str("HOST", "127.0.0.1")
SERVE_PORT = env_int("PORT", 8000, minimum=1)

# The public identity of the page. Unset, the address follows where serve listens, so
# `PORT=8080 make run` links to port 8080.
SITE_NAME = env_str("SITE_NAME", "Runbox Status")
SITE_URL = env_str("SITE_URL", served_url(SERVE_HOST, SERVE_PORT)).rstrip("/")

# SITE_URL's host too: the mirror renders pages with it as the Host header.
LOCAL_HOSTS = ["127.0.0.1", "localhost", "[::1]", url_host(SITE_URL)]
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [h for h in dict.fromkeys(LOCAL_HOSTS) if h])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# Reverse proxies (addresses or CIDR networks) whose X-Forwarded-For is believed: the client
# address for lockouts, rate limits and logs is then the right-most one not in this list.
TRUSTED_PROXIES = env_networks("TRUSTED_PROXIES", [])

SITE_TIME_ZONE = env_zone("SITE_TIME_ZONE", "Europe/Oslo")
EXTRA_TIME_ZONES = env_zones("EXTRA_TIME_ZONES", ["UTC", "America/New_York", "America/Los_Angeles"])
HISTORY_PAGE_SIZE = env_int("HISTORY_PAGE_SIZE", 25, minimum=1)
BLOG_PAGE_SIZE = env_int("BLOG_PAGE_SIZE", 10, minimum=1)
FEED_ITEMS = env_int("FEED_ITEMS", 50, minimum=1)
# The published uptime formula (incidents/models/uptime.py): how much of a second in each
# status counts as down. Maintenance is left out of the count altogether.
UPTIME_WEIGHT_MAJOR_OUTAGE = env_float("UPTIME_WEIGHT_MAJOR_OUTAGE", 1.0, minimum=0, maximum=1)
UPTIME_WEIGHT_PARTIAL_OUTAGE = env_float("UPTIME_WEIGHT_PARTIAL_OUTAGE", 0.3, minimum=0, maximum=1)
UPTIME_WEIGHT_DEGRADED_PERFORMANCE = env_float(
    "UPTIME_WEIGHT_DEGRADED_PERFORMANCE", 0.0, minimum=0, maximum=1
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "incidents",
    "notifier",
    "notifier.mirror",
    "importers",
    "probes",
    "console",
]

MIDDLEWARE = [
    # First, so a public request waiting for a slot has cost nothing yet.
    "statuspage.admission.PublicAdmissionMiddleware",
    # Before anything reads a session or a signed value: the built-in key serves loopback only.
    "statuspage.local_key.BuiltInKeyGuardMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # An exception under /api/ answers JSON (a locked database: 503 with Retry-After).
    "statuspage.errors.ApiErrorsAsJson",
    "statuspage.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Before anything resolves a URL: the language prefix is part of the public URLs.
    "statuspage.language.LanguageFromPathMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.http.ConditionalGetMiddleware",
    # After ConditionalGet in this list, so it rewrites before the ETag is computed.
    "incidents.relative_links.RelativeLinksMiddleware",
    # Before CSRF: a method the view does not have is a 405, not a refused form (403).
    "statuspage.methods.MethodNotAllowedMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a lockout signalled by the backend into a response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "statuspage.urls"
CSRF_FAILURE_VIEW = "statuspage.errors.csrf_failure"  # JSON under /api/
# Public requests one web process works on at once (0: no limit); the others wait, asleep, so
# the console stays quick under a flood of readers. Waiting longer than PUBLIC_QUEUE_SECONDS
# gets a 503 that points to the mirror.
PUBLIC_CONCURRENCY = env_int("PUBLIC_CONCURRENCY", 2, minimum=0)
PUBLIC_QUEUE_SECONDS = env_int("PUBLIC_QUEUE_SECONDS", 30, minimum=1)
# Readers allowed to wait at once per process; the next gets a 503 at once, so server threads
# stay free for staff. Keep granian's --blocking-threads above this plus PUBLIC_CONCURRENCY.
PUBLIC_QUEUE_LENGTH = env_int("PUBLIC_QUEUE_LENGTH", 48, minimum=0)
# Anonymous requests to /staff/, /admin/ and /api/staff/ per client address in any minute,
# per web process (statuspage/staff_door.py); 0: no limit.
STAFF_DOOR_PER_MINUTE = env_int("STAFF_DOOR_PER_MINUTE", 30, minimum=0)
# Forms and API bodies are small; anything larger is refused with a 400 before it is read.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 512 * 1024, minimum=1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200
WSGI_APPLICATION = "statuspage.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "incidents.context_processors.site",
                "console.context_processors.console",
            ],
            # {% url %} remembering its answers (the mirror renders thousands of pages).
            "builtins": ["statuspage.url_tag"],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'statuspage.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web processes and workers write at once (a console act beside a delivery's outcome).
    # A deferred transaction that read first cannot wait for the write lock: SQLite answers
    # "database is locked" at once. Taking the lock at BEGIN lets it wait `timeout` seconds,
    # and WAL keeps readers (every public page) from blocking the writer or being blocked.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL;",
        }
    )
# For web processes on PostgreSQL: share this many connections among the process's threads
# (psycopg_pool) instead of one per thread kept for DATABASE_CONN_MAX_AGE or opened per request.
DATABASE_POOL_SIZE = env_int("DATABASE_POOL_SIZE", 0, minimum=0)
if DATABASE_POOL_SIZE and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # each request hands its connection back
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": DATABASE_POOL_SIZE,
        "timeout": 10,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Rendered public pages, keyed by the publication token (incidents/page_cache.py). Each web
# process keeps its own; PAGE_CACHE_MAX_ENTRIES and PAGE_CACHE_MAX_MB bound it.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "pages": {
        "BACKEND": "statuspage.bounded_cache.BoundedLocMemCache",
        "LOCATION": "public-pages",
        "TIMEOUT": None,
        "OPTIONS": {
            "MAX_ENTRIES": env_int("PAGE_CACHE_MAX_ENTRIES", 2000, minimum=10),
            "MAX_BYTES": env_int("PAGE_CACHE_MAX_MB", 64, minimum=1) * 1024 * 1024,
        },
    },
}

# The staff console (console/): password, then a TOTP code, then a session that ends.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "console:login"
SESSION_COOKIE_AGE = env_int("STAFF_SESSION_SECONDS", 12 * 3600, minimum=300)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
OTP_TOTP_ISSUER = SITE_NAME
# Failed logins per username and address before a lockout, and how long it lasts.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env_int("LOGIN_LOCKOUT_MINUTES", 30, minimum=1) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "statuspage.client.client_address"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "console/locked_out.html"
AXES_VERBOSE = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# The readers' languages: the default at `/`, the other under its prefix (`/nb/`, or `/en/`
# when Norwegian is the default). Interface strings come from `locale/`; content carries its own.
# Each named in its own language, as the switch on every page shows it. SITE_LANGUAGES may
# leave one out (a site in one language: no prefix, no switch, half the mirror).
KNOWN_LANGUAGES = {"en": "English", "nb": "Norsk"}
_site_languages = env_list("SITE_LANGUAGES", list(KNOWN_LANGUAGES))
if unknown := [code for code in _site_languages if code not in KNOWN_LANGUAGES]:
    raise ImproperSetting(f"SITE_LANGUAGES lists {unknown}; known: {', '.join(KNOWN_LANGUAGES)}")
LANGUAGES = [(code, KNOWN_LANGUAGES[code]) for code in _site_languages]
LANGUAGE_CODE = env_choice("SITE_LANGUAGE", "en", [code for code, _ in LANGUAGES])
USE_I18N = True
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_TZ = True
TIME_ZONE = "UTC"

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env_bool("STATIC_MANIFEST", not DEBUG)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", False) else None
)
# HTTPS only, for production behind TLS (off for `make run`, which serves plain HTTP). Behind a
# proxy that terminates TLS, BEHIND_TLS_PROXY tells an https request from an http one, or the
# redirect would loop.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"

# Celery: an embedded SQLite broker by default, Redis in production.
CELERY_BROKER_URL = env_str(
    "CELERY_BROKER_URL", f"sqla+sqlite:///{VAR_DIR / 'celery-broker.sqlite'}"
)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
# One task at a time per process on Redis, so a busy worker does not hoard the large mailings
# while another idles. The embedded broker is polled (statuspage/broker.py): four reserved per
# process keep them busy between polls (40 -> 57 tasks/s, benchmarks/README.md). A crashed
# worker's reserved deliveries are re-queued by the sweeper either way.
CELERY_WORKER_PREFETCH_MULTIPLIER = 4 if CELERY_BROKER_URL.startswith("sqla+") else 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
MAINTENANCE_TICK_SECONDS = env_int("MAINTENANCE_TICK_SECONDS", 30, minimum=1)
# A new window's reminder lead (staff change it per window); 0 schedules windows without one.
MAINTENANCE_REMINDER_MINUTES = env_int("MAINTENANCE_REMINDER_MINUTES", 60, minimum=0)
# Changes roll their days up at once; beat closes the day and refreshes today's partial row.
UPTIME_ROLLUP_SECONDS = env_int("UPTIME_ROLLUP_SECONDS", 3600, minimum=60)
# A publish must not hang on a broker that is down: fail fast, the sweeper re-queues.
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_CONNECTION_TIMEOUT = env_int("CELERY_BROKER_CONNECTION_TIMEOUT", 3, minimum=1)
# Large mailings go to their own queue, so X, Mastodon and webhooks never wait behind them;
# a reader's confirmation mail has its own too, so it never waits behind a fan-out. A worker
# takes from its queues in turn. Workers must consume all three (`manage.py serve` does).
CELERY_TASK_ROUTES = {
    "notifier.deliver_batch": {"queue": "bulk"},
    "notifier.send_confirmation": {"queue": "mail"},
}

# Email. EMAIL_URL: smtp://user:password@host:587?starttls=true, smtps://host:465, or unset:
# then `manage.py serve` (make run) runs an embedded SMTP server on loopback that keeps every
# mail in OUTBOX_DIR (a Maildir, shown on the console's Outbox page), and mail goes there
# through the same SMTP code as to a production relay.
EMAIL_URL = env_str("EMAIL_URL", "")
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Runbox Status <status@localhost>")
EMBEDDED_SMTP = not EMAIL_URL
EMBEDDED_SMTP_PORT = env_int("EMBEDDED_SMTP_PORT", embedded_smtp_port(SERVE_PORT), minimum=1)
OUTBOX_DIR = VAR_DIR / "outbox"
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
if EMAIL_URL:
    _email = parse_email_url(EMAIL_URL)
    EMAIL_HOST, EMAIL_PORT = _email.host, _email.port
    EMAIL_HOST_USER, EMAIL_HOST_PASSWORD = _email.user, _email.password
    EMAIL_USE_TLS, EMAIL_USE_SSL = _email.starttls, _email.ssl
else:
    EMAIL_HOST, EMAIL_PORT = "127.0.0.1", EMBEDDED_SMTP_PORT

# Subscriptions and the delivery ledger.
SUBSCRIBE_CONFIRM_MAX_AGE = env_int("SUBSCRIBE_CONFIRM_MAX_AGE", 3 * 24 * 3600, minimum=60)
# Subscribe requests per client address (an IPv6 client: its /64) in any sliding hour, counted
# in the database, or in Redis when RATE_LIMIT_REDIS_URL is set, so every web process shares it.
SUBSCRIBE_RATE_LIMIT = env_int("SUBSCRIBE_RATE_LIMIT", 5, minimum=1)
RATE_LIMIT_REDIS_URL = env_str("RATE_LIMIT_REDIS_URL", "")
DELIVERY_BATCH_SIZE = env_int("DELIVERY_BATCH_SIZE", 500, minimum=1)
# Transient failures are retried until a delivery is this old (not for a number of tries: an
# SMTP relay down for an hour would use them all up), with backoff capped at RETRY_MAX.
DELIVERY_GIVE_UP_AFTER = env_int("DELIVERY_GIVE_UP_AFTER", 6 * 3600, minimum=0)
DELIVERY_RETRY_BASE_SECONDS = env_int("DELIVERY_RETRY_BASE_SECONDS", 10, minimum=1)
DELIVERY_RETRY_MAX_SECONDS = env_int("DELIVERY_RETRY_MAX_SECONDS", 600, minimum=1)
DELIVERY_STALE_SECONDS = env_int("DELIVERY_STALE_SECONDS", 120, minimum=1)
DELIVERY_SENDING_TIMEOUT_SECONDS = env_int("DELIVERY_SENDING_TIMEOUT_SECONDS", 300, minimum=1)
DELIVERY_SWEEP_LIMIT = env_int("DELIVERY_SWEEP_LIMIT", 100_000, minimum=1)
SWEEP_SECONDS = env_int("SWEEP_SECONDS", 30, minimum=1)

# Probes (probes/): checks run by the Celery workers. Each worker has a location (a vantage
# point); beat sends every location in PROBE_LOCATIONS its batch each PROBE_TICK_SECONDS, on
# the queue probes.<location> that the workers of that location consume.
PROBE_LOCATION = env_str("PROBE_LOCATION", socket.gethostname().split(".")[0] or "local")
PROBE_LOCATIONS = env_list("PROBE_LOCATIONS", [PROBE_LOCATION])
for _location in [PROBE_LOCATION, *PROBE_LOCATIONS]:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", _location):
        raise ImproperSetting(
            f"probe location {_location!r}: use letters, digits, '.', '_' or '-' (64 at most)"
        )
PROBE_TICK_SECONDS = env_int("PROBE_TICK_SECONDS", 5, minimum=1)
PROBE_CONCURRENCY = env_int("PROBE_CONCURRENCY", 200, minimum=1)
PROBE_CA_FILE = env_str("PROBE_CA_FILE", "")  # extra CAs to trust; the system's are trusted
PROBE_LOGIN_PASSWORD_FILE = env_str("PROBE_LOGIN_PASSWORD_FILE", "")  # IMAP/POP test account
PROBE_DNS_RESOLVER = env_str("PROBE_DNS_RESOLVER", "")  # "address[:port]"; empty: the system's
PROBE_SOURCE_ADDRESS = env_str("PROBE_SOURCE_ADDRESS", "")  # local address probes connect from
PROBE_BODY_BYTES = env_int("PROBE_BODY_BYTES", 65536, minimum=1024)
PROBE_ROLLUP_SECONDS = env_int("PROBE_ROLLUP_SECONDS", 300, minimum=10)
PROBE_RESULTS_KEEP_HOURS = env_int("PROBE_RESULTS_KEEP_HOURS", 48, minimum=2)
PROBE_HOURS_KEEP_DAYS = env_int("PROBE_HOURS_KEEP_DAYS", 365, minimum=1)

# The static fallback mirror (notifier/mirror/). Each target is off until configured.
MIRROR_LOCAL_DIR = env_str("MIRROR_LOCAL_DIR", "")
# Where readers reach the mirror ("/status-mirror/" or "https://mirror.example/"): lets its
# 404 page, answered at any depth, link inside the mirror. Empty: links from the site's root.
MIRROR_BASE_URL = env_str("MIRROR_BASE_URL", "")
if MIRROR_BASE_URL and not MIRROR_BASE_URL.endswith("/"):
    raise ImproperSetting(f"MIRROR_BASE_URL={MIRROR_BASE_URL!r} must end with a slash")
# Every so often beat brings the mirror up to what publishes did not re-render (admin edits,
# statuses set alone, a new day), and rebuilds it whole when the last full build is this old.
# Processes that render a mirror build's pages (forked from the worker for the build alone);
# a publish of fewer pages than MIRROR_PARALLEL_FROM renders them in the worker itself.
MIRROR_RENDER_PROCESSES = env_int("MIRROR_RENDER_PROCESSES", min(2, os.cpu_count() or 1), minimum=1)
MIRROR_PARALLEL_FROM = env_int("MIRROR_PARALLEL_FROM", 24, minimum=2)
MIRROR_REFRESH_SECONDS = env_int("MIRROR_REFRESH_SECONDS", 60, minimum=5)
MIRROR_FULL_BUILD_HOURS = env_int("MIRROR_FULL_BUILD_HOURS", 24, minimum=1)
# rsync over SSH (notifier/mirror/rsync.py): user@host:/path; the host key must be known.
MIRROR_RSYNC_TARGET = env_str("MIRROR_RSYNC_TARGET", "")
MIRROR_RSYNC_SSH_KEY = env_str("MIRROR_RSYNC_SSH_KEY", "")  # a private key file
MIRROR_RSYNC_PORT = env_int("MIRROR_RSYNC_PORT", 22, minimum=1)
MIRROR_RSYNC_KNOWN_HOSTS = env_str("MIRROR_RSYNC_KNOWN_HOSTS", "")  # empty: ssh's own files
MIRROR_RSYNC_TIMEOUT = env_int("MIRROR_RSYNC_TIMEOUT", 30, minimum=1)  # seconds without progress
# S3-compatible object storage (notifier/mirror/s3.py), through boto3.
MIRROR_S3_BUCKET = env_str("MIRROR_S3_BUCKET", "")
MIRROR_S3_PREFIX = env_str("MIRROR_S3_PREFIX", "")
MIRROR_S3_ENDPOINT_URL = env_str("MIRROR_S3_ENDPOINT_URL", "")  # empty: AWS
MIRROR_S3_REGION = env_str("MIRROR_S3_REGION", "us-east-1")
MIRROR_S3_ACCESS_KEY_ID = env_str("MIRROR_S3_ACCESS_KEY_ID", "")  # empty: boto3's own chain
MIRROR_S3_SECRET_ACCESS_KEY = env_str("MIRROR_S3_SECRET_ACCESS_KEY", "")
MIRROR_S3_CONNECT_TIMEOUT = env_int("MIRROR_S3_CONNECT_TIMEOUT", 5, minimum=1)  # seconds
MIRROR_S3_READ_TIMEOUT = env_int("MIRROR_S3_READ_TIMEOUT", 30, minimum=1)  # seconds

# X, Mastodon and webhooks (notifier/channels/). X and Mastodon are off until their keys are set.
OUTBOUND_HTTP_TIMEOUT = env_int("OUTBOUND_HTTP_TIMEOUT", 10, minimum=1)  # seconds, every call
# Subscriber-given URLs go to public addresses only (notifier/outbound.py); this lets them reach
# loopback (plain http included), for tests and a receiver on this machine.
OUTBOUND_ALLOW_LOOPBACK = env_bool("OUTBOUND_ALLOW_LOOPBACK", False)
X_API_KEY = env_str("X_API_KEY", "")
X_API_SECRET = env_str("X_API_SECRET", "")
X_ACCESS_TOKEN = env_str("X_ACCESS_TOKEN", "")
X_ACCESS_TOKEN_SECRET = env_str("X_ACCESS_TOKEN_SECRET", "")
MASTODON_API_BASE_URL = env_str("MASTODON_API_BASE_URL", "").rstrip("/")
MASTODON_ACCESS_TOKEN = env_str("MASTODON_ACCESS_TOKEN", "")
MASTODON_VISIBILITY = env_str("MASTODON_VISIBILITY", "public")
if MASTODON_VISIBILITY not in {"public", "unlisted", "private", "direct"}:
    raise ImproperSetting(
        f"MASTODON_VISIBILITY={MASTODON_VISIBILITY!r} is not public, unlisted, private or direct"
    )
# A second X or Mastodon account per language the site has besides its default
# (notifier/channels/social.py): the settings above with the language after the network's name
# (X_NB_API_KEY, ..., MASTODON_NB_API_BASE_URL, MASTODON_NB_ACCESS_TOKEN) post every notice in
# that language, in threads of their own. The default language's account is the one above.
_SOCIAL_ACCOUNT_SETTINGS = {
    "X": ("API_KEY", "API_SECRET", "ACCESS_TOKEN", "ACCESS_TOKEN_SECRET"),
    "MASTODON": ("API_BASE_URL", "ACCESS_TOKEN"),
}
for _network, _parts in _SOCIAL_ACCOUNT_SETTINGS.items():
    for _code, _part in itertools.product(KNOWN_LANGUAGES, _parts):
        _name = f"{_network}_{_code.upper()}_{_part}"
        _value = env_str(_name, "")
        globals()[_name] = _value.rstrip("/") if _part.endswith("_URL") else _value
        if _value and _code == LANGUAGE_CODE:
            raise ImproperSetting(
                f"{_name} is set, but {_code} is the site's default language (SITE_LANGUAGE), "
                f"which the account of {_network}_{_part} posts in"
            )
        if _value and _code not in _site_languages:
            raise ImproperSetting(
                f"{_name} is set, but the site is not in {_code}: add it to SITE_LANGUAGES"
            )
# Matrix (notifier/channels/matrix.py): off until the homeserver, the token and a room are set.
MATRIX_HOMESERVER_URL = env_str("MATRIX_HOMESERVER_URL", "").rstrip("/")
if MATRIX_HOMESERVER_URL and not re.fullmatch(
    r"https?://[^/?#\s]+(/[^?#\s]*)?", MATRIX_HOMESERVER_URL
):
    raise ImproperSetting(
        f"MATRIX_HOMESERVER_URL={MATRIX_HOMESERVER_URL!r} is not https://host[:port][/path], "
        "the homeserver's client address"
    )
MATRIX_ACCESS_TOKEN = env_str("MATRIX_ACCESS_TOKEN", "")  # or MATRIX_ACCESS_TOKEN_FILE
MATRIX_ROOM_IDS = list(dict.fromkeys(env_list("MATRIX_ROOM_IDS", [])))
if _not_rooms := [room for room in MATRIX_ROOM_IDS if not room.startswith("!") or len(room) > 200]:
    raise ImproperSetting(
        f"MATRIX_ROOM_IDS lists {_not_rooms[0]!r}, not a room id: give ids such as "
        "!abc:example.org (Element: Room settings, Advanced), not #aliases"
    )
# Telegram (notifier/channels/telegram.py): a bot readers start with a signed deep link; off
# until the token, the bot's username and the webhook secret are set.
TELEGRAM_BOT_TOKEN = env_str("TELEGRAM_BOT_TOKEN", "")  # or TELEGRAM_BOT_TOKEN_FILE
TELEGRAM_BOT_USERNAME = env_str("TELEGRAM_BOT_USERNAME", "").removeprefix("@")
if TELEGRAM_BOT_USERNAME and not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{3,31}", TELEGRAM_BOT_USERNAME):
    raise ImproperSetting(
        f"TELEGRAM_BOT_USERNAME={TELEGRAM_BOT_USERNAME!r} is not a bot's username "
        "(5 to 32 letters, digits and underscores, as BotFather shows it, e.g. ExampleStatusBot)"
    )
# Telegram sends it back in X-Telegram-Bot-Api-Secret-Token with every update (setWebhook).
TELEGRAM_WEBHOOK_SECRET = env_str("TELEGRAM_WEBHOOK_SECRET", "")  # or TELEGRAM_WEBHOOK_SECRET_FILE
if TELEGRAM_WEBHOOK_SECRET and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", TELEGRAM_WEBHOOK_SECRET):
    raise ImproperSetting(
        "TELEGRAM_WEBHOOK_SECRET must be 1 to 256 letters, digits, _ and - (Telegram's rule), "
        "e.g. from: python -c 'import secrets; print(secrets.token_urlsafe(32))'"
    )
TELEGRAM_API_URL = env_str("TELEGRAM_API_URL", "https://api.telegram.org").rstrip("/")
if not re.fullmatch(r"https?://[^/?#\s]+(/[^?#\s]*)?", TELEGRAM_API_URL):
    raise ImproperSetting(
        f"TELEGRAM_API_URL={TELEGRAM_API_URL!r} is not https://host[:port][/path] "
        "(Telegram's own, or a local Bot API server)"
    )
# SMS (notifier/channels/sms.py, notifier/sms/): off until SMS_PROVIDER names Twilio or 46elks
# and that provider's account, secret and sender are set.
SMS_PROVIDER = env_str("SMS_PROVIDER", "").strip().lower()
if SMS_PROVIDER not in {"", "twilio", "46elks"}:
    raise ImproperSetting(f"SMS_PROVIDER={SMS_PROVIDER!r} is not empty, twilio or 46elks")
TWILIO_ACCOUNT_SID = env_str("TWILIO_ACCOUNT_SID", "")
TWILIO_AUTH_TOKEN = env_str("TWILIO_AUTH_TOKEN", "")  # or TWILIO_AUTH_TOKEN_FILE
TWILIO_FROM = env_str("TWILIO_FROM", "")
TWILIO_MESSAGING_SERVICE_SID = env_str("TWILIO_MESSAGING_SERVICE_SID", "")
TWILIO_API_URL = env_str("TWILIO_API_URL", "https://api.twilio.com").rstrip("/")
ELKS_API_USERNAME = env_str("ELKS_API_USERNAME", "")
ELKS_API_PASSWORD = env_str("ELKS_API_PASSWORD", "")  # or ELKS_API_PASSWORD_FILE
ELKS_FROM = env_str("ELKS_FROM", "")
ELKS_API_URL = env_str("ELKS_API_URL", "https://api.46elks.com").rstrip("/")
for _name, _url in (("TWILIO_API_URL", TWILIO_API_URL), ("ELKS_API_URL", ELKS_API_URL)):
    if not re.fullmatch(r"https?://[^/?#\s]+(/[^?#\s]*)?", _url):
        raise ImproperSetting(f"{_name}={_url!r} is not https://host[:port][/path]")
# The secret path part of the inbound (STOP) webhook URLs; 46elks signs nothing, so it is the key.
SMS_INBOUND_SECRET = env_str("SMS_INBOUND_SECRET", "")
SMS_DEFAULT_REGION = env_str("SMS_DEFAULT_REGION", "NO").strip().upper()
if not re.fullmatch(r"[A-Z]{2}", SMS_DEFAULT_REGION):
    raise ImproperSetting(f"SMS_DEFAULT_REGION={SMS_DEFAULT_REGION!r} is not a country code (NO)")
SMS_DAILY_PER_NUMBER = env_int("SMS_DAILY_PER_NUMBER", 10, minimum=0)
SMS_DAILY_BUDGET = env_int("SMS_DAILY_BUDGET", 2000, minimum=0)
# Web push (notifier/channels/push.py): "Notify me in this browser". The VAPID pair signs each
# push (RFC 8292); unset, one is generated once and kept in VAR_DIR/vapid-private.pem (0600).
PUSH_ENABLED = env_bool("PUSH_ENABLED", True)
VAPID_PRIVATE_KEY = env_str("VAPID_PRIVATE_KEY", "")  # PEM or base64url; or VAPID_PRIVATE_KEY_FILE
VAPID_PUBLIC_KEY = env_str("VAPID_PUBLIC_KEY", "")  # base64url; empty: derived from the private
VAPID_SUBJECT = env_str("VAPID_SUBJECT", "mailto:" + parseaddr(DEFAULT_FROM_EMAIL)[1])
if not re.fullmatch(r"(mailto:[^@\s]+@[^@\s]+|https://[^\s]+)", VAPID_SUBJECT):
    raise ImproperSetting(
        f"VAPID_SUBJECT={VAPID_SUBJECT!r} is not a mailto: address or an https:// URL, "
        "where push services can reach whoever runs this site"
    )
WEBHOOK_DISABLE_AFTER = env_int("WEBHOOK_DISABLE_AFTER", 5, minimum=1)
WEBHOOK_DOCUMENTATION_URL = env_str(
    "WEBHOOK_DOCUMENTATION_URL",
    "https://support.atlassian.com/statuspage/docs/enable-webhook-notifications/",
)
# Readers' own pages and the subscribe form (notifier/manage.py, notifier/own_domain.py).
# Mail domains the company runs itself (e.g. "runbox.com"): an address there (or under a
# subdomain) may not get mail during the very outage notices are about, so the subscribe
# form says so and suggests another way. Empty: no warning.
OWN_MAIL_DOMAINS = [domain.lower().strip(".") for domain in env_list("OWN_MAIL_DOMAINS", [])]
# Slack, Teams and Discord incoming webhooks readers give (notifier/channels/chat_hooks.py).
CHAT_WEBHOOKS_ENABLED = env_bool("CHAT_WEBHOOKS_ENABLED", True)
CHAT_CODE_MAX_AGE = env_int("CHAT_CODE_MAX_AGE", 1800, minimum=60)  # seconds to enter the code
# Importing a Statuspage page from its address (importers/statuspage_fetch.py): https only;
# plain http to a loopback address only when allowed (the tests serve a page on 127.0.0.1).
IMPORT_FETCH_MAX_BYTES = env_int("IMPORT_FETCH_MAX_BYTES", 50_000_000, minimum=1)
IMPORT_FETCH_TIMEOUT = env_int("IMPORT_FETCH_TIMEOUT", 60, minimum=1)
IMPORT_ALLOW_HTTP_LOOPBACK = env_bool("IMPORT_ALLOW_HTTP_LOOPBACK", False)
# Files uploaded to the console's import pages (importers/uploads.py): kept in a private temp
# folder (never under a public path) from the preview to the apply, then removed.
IMPORT_UPLOAD_MAX_BYTES = env_int("IMPORT_UPLOAD_MAX_BYTES", 100_000_000, minimum=1)
IMPORT_UPLOAD_MAX_AGE = env_int("IMPORT_UPLOAD_MAX_AGE", 3600, minimum=60)
IMPORT_UPLOAD_DIR = env_str("IMPORT_UPLOAD_DIR", "")
# Staff alerts when an incident's promised next update is late (console/alerts.py).
NEXT_UPDATE_ALERTS = env_bool("NEXT_UPDATE_ALERTS", True)
STAFF_ALERT_WEBHOOK_URL = env_str("STAFF_ALERT_WEBHOOK_URL", "")
# Probes: an alert opens when at least this many of the locations that ran a probe recently
# fail it in a row (the probe's retries + 1 results each); certificates warn this many days ahead.
PROBE_ALERT_MIN_LOCATIONS = env_int("PROBE_ALERT_MIN_LOCATIONS", 1, minimum=1)
# Runs in a row that failed (each run already tried 1 + the probe's retries times).
PROBE_FAILURES_IN_A_ROW = env_int("PROBE_FAILURES_IN_A_ROW", 2, minimum=1)
PROBE_CERT_WARNING_DAYS = env_int("PROBE_CERT_WARNING_DAYS", 14, minimum=1)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"one_line_client_errors": {"()": "statuspage.errors.ClientErrorsOnOneLine"}},
    "filters": {"quiet_periodic_tasks": {"()": "statuspage.logs.QuietPeriodicTasks"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "one_line_client_errors"}
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # Django's own console handler (DEBUG only) would print client errors' tracebacks again.
    # Filters sit on the loggers, not the handler: the Celery worker replaces the root's handlers.
    "loggers": {
        "django": {"handlers": [], "level": "INFO"},
        **{name: {"filters": ["quiet_periodic_tasks"]} for name in CELERY_LOGGERS},
    },
}
