"""Django settings for Linli.

Everything that differs between a laptop demo and production comes from the environment
(``docs/deploy.md`` lists every variable). The defaults give the demo: SQLite under ``var/``,
debug off unless ``LINLI_DEBUG=1``, a console SMS sender.
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

import dj_database_url
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("LINLI_VAR_DIR", BASE_DIR / "var"))


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = _flag("LINLI_DEBUG")
# An insecure key is acceptable only for the demo and the tests; linli.E001 refuses it when
# DEBUG is off and LINLI_PRODUCTION is set (see linli/core/checks.py).
INSECURE_DEV_SECRET_KEY = "linli-insecure-development-key-do-not-use-in-production"
SECRET_KEY = os.environ.get("LINLI_SECRET_KEY", INSECURE_DEV_SECRET_KEY)
PRODUCTION = _flag("LINLI_PRODUCTION")

ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("LINLI_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("LINLI_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks_db",
    "ninja",
    "linli.core",
    "linli.areas",
    "linli.accounts",
    "linli.places",
    "linli.planning",
    "linli.activities",
    "linli.needs",
    "linli.kiosks",
    "linli.cobuild",
    "linli.sample",  # the sample district's commands; nothing imports it
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "linli.accounts.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "linli.accounts.middleware.RequireSecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "linli.core.middleware.ElderlyModeMiddleware",
]

ROOT_URLCONF = "linli.urls"
WSGI_APPLICATION = "linli.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "linli" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "linli.core.context_processors.linli",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'linli.sqlite3'}"),
        conn_max_age=int(os.environ.get("LINLI_DB_CONN_MAX_AGE", "60")),
        # A health check costs a query per request; stale connections are rare behind a local
        # PostgreSQL, so it is opt-in (bench/web.py measures the difference).
        conn_health_checks=os.environ.get("LINLI_DB_HEALTH_CHECKS", "0") == "1",
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the task worker write while the web process reads; busy timeout instead of
    # "database is locked" under the demo's two processes.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "linli.accounts.backends.LockoutModelBackend",
    "linli.accounts.backends.PhoneCodeBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "console:home"
LOGOUT_REDIRECT_URL = "resident:home"

# Staff sessions expire after a working day and when the browser closes.
# Sessions in the database, read with their user in one query (see linli/accounts/sessions.py
# for why not cached_db: a per-process cache keeps logged-out sessions alive in other workers).
SESSION_ENGINE = "linli.accounts.sessions"
SESSION_COOKIE_AGE = int(os.environ.get("LINLI_SESSION_SECONDS", str(8 * 3600)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

LINLI_LOCKOUT_THRESHOLD = int(os.environ.get("LINLI_LOCKOUT_THRESHOLD", "5"))
LINLI_LOCKOUT_SECONDS = int(os.environ.get("LINLI_LOCKOUT_SECONDS", "900"))
# Reverse proxies in front of Django that append to X-Forwarded-For (1 behind docs/deploy.md's
# nginx); 0 ignores the header, which anyone can send.
LINLI_TRUSTED_PROXIES = int(os.environ.get("LINLI_TRUSTED_PROXIES", "0"))
# Per network address (linli/accounts/throttle.py, docs/accounts.md): COUNT/SECONDS, 0 = off.
LINLI_THROTTLE_PASSWORD_FAILURES = os.environ.get("LINLI_THROTTLE_PASSWORD_FAILURES", "30/900")
LINLI_THROTTLE_CODE_REQUESTS = os.environ.get("LINLI_THROTTLE_CODE_REQUESTS", "30/3600")
LINLI_THROTTLE_CODE_FAILURES = os.environ.get("LINLI_THROTTLE_CODE_FAILURES", "30/900")
LINLI_REQUIRE_2FA = _flag("LINLI_REQUIRE_2FA")
LINLI_SMS_SENDER = os.environ.get("LINLI_SMS_SENDER", "linli.accounts.sms.ConsoleSender")
LINLI_PHONE_CODE_SECONDS = 300
LINLI_AUDIT_RETENTION_DAYS = max(183, int(os.environ.get("LINLI_AUDIT_RETENTION_DAYS", "365")))
# The session query runs as a prepared statement on PostgreSQL (linli.accounts.sessions); 0 turns
# that off behind a pooler that cannot keep prepared statements (PgBouncer < 1.21, transactions).
LINLI_DB_PREPARED_SESSIONS = _flag("LINLI_DB_PREPARED_SESSIONS", default=True)
# How long a worker reuses the station data versions it read before asking the database again
# (its own changes are seen at once; another worker's within this many seconds).
LINLI_DATA_VERSION_SECONDS = float(os.environ.get("LINLI_DATA_VERSION_SECONDS", "1"))
# How long a worker keeps the activities shown on the station and home pages (linli.activities
# .receivers); changes made in the same worker show at once.
LINLI_ACTIVITY_PARTS_SECONDS = float(os.environ.get("LINLI_ACTIVITY_PARTS_SECONDS", "60"))
# Tile server for the resident map; without one the map draws the district's own street network.
# PDFs with Chinese text need a CJK font (linli/core/pdf.py): Debian's fonts-noto-cjk by default;
# "/path/font.ttc#2" names a face of a collection.
LINLI_PDF_FONT = os.environ.get("LINLI_PDF_FONT", "")
LINLI_PDF_FONT_BOLD = os.environ.get("LINLI_PDF_FONT_BOLD", "")
LINLI_TILE_URL = os.environ.get("LINLI_TILE_URL", "")
LINLI_TILE_ATTRIBUTION = os.environ.get("LINLI_TILE_ATTRIBUTION", "")
LINLI_CIRCLE_CACHE_DIR = VAR_DIR / "circle-cache"
LINLI_NETWORK_DIR = VAR_DIR / "networks"

# Smart huts (linli/kiosks, docs/kiosks.md). A device missing heartbeats this long is offline;
# signed device requests may be this far from the server's clock (and their nonces are kept
# that long). Device key secrets derive from LINLI_DEVICE_KEY_SECRET; readings are sealed with
# AES-GCM under LINLI_KIOSK_DATA_KEYS ("id=<base64 of 32 bytes>,…", first id seals new rows
# unless LINLI_KIOSK_DATA_KEY_ID says otherwise). Both stay outside the database; the
# development defaults derive from SECRET_KEY (production warns: linli.kiosks.W001).
LINLI_KIOSK_OFFLINE_SECONDS = int(os.environ.get("LINLI_KIOSK_OFFLINE_SECONDS", "600"))
LINLI_KIOSK_CLOCK_SKEW_SECONDS = int(os.environ.get("LINLI_KIOSK_CLOCK_SKEW_SECONDS", "300"))
LINLI_KIOSK_KEY_OVERLAP_SECONDS = int(os.environ.get("LINLI_KIOSK_KEY_OVERLAP_SECONDS", "86400"))
LINLI_DEVICE_KEY_SECRET = os.environ.get("LINLI_DEVICE_KEY_SECRET", f"device:{SECRET_KEY}")
# Residents measured at a kiosk are stored under HMAC(this secret, their ID or phone).
LINLI_KIOSK_PSEUDONYM_SECRET = os.environ.get(
    "LINLI_KIOSK_PSEUDONYM_SECRET", f"pseudonym:{SECRET_KEY}"
)
LINLI_KIOSK_DATA_KEYS = {
    key_id.strip(): base64.b64decode(value)
    for key_id, _sep, value in (
        item.partition("=")
        for item in os.environ.get("LINLI_KIOSK_DATA_KEYS", "").split(",")
        if item.strip()
    )
} or {"dev": hashlib.sha256(f"kiosk-data:{SECRET_KEY}".encode()).digest()}
LINLI_KIOSK_DATA_KEY_ID = os.environ.get(
    "LINLI_KIOSK_DATA_KEY_ID", next(iter(LINLI_KIOSK_DATA_KEYS))
)

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "linli" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Project-wide assets (design tokens, vendored libraries) live beside the apps' own static dirs.
STATICFILES_DIRS = [BASE_DIR / "linli" / "static"]
STATIC_ROOT = Path(os.environ.get("LINLI_STATIC_ROOT", VAR_DIR / "static"))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("LINLI_MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG and PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION

TASKS = {
    "default": {
        "BACKEND": os.environ.get("LINLI_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_LIMIT = 500

if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = _flag("LINLI_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("LINLI_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = _flag("LINLI_HSTS_PRELOAD", True)
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"


def _tile_sources(url: str) -> list[str]:
    """The CSP source of a tile URL template: https://{s}.tile.example/{z}/… → https://*.tile.example."""
    if "://" not in url:
        return []
    scheme, rest = url.split("://", 1)
    host = rest.split("/", 1)[0].replace("{s}", "*")
    return [f"{scheme}://{host}"] if "{" not in host else []


# Content-Security-Policy (Django's own, docs/deploy.md): scripts and style sheets only from this
# site, no inline script, no eval (Alpine is its CSP build, htmx has allowEval off), no <style>
# element. Style attributes stay allowed: Leaflet and ECharts write them into their markup.
# tests/e2e/conftest.py fails every browser journey on a violation report.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "style-src-attr": [CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:", "blob:", *_tile_sources(LINLI_TILE_URL)],
    "connect-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LINLI_LOG_LEVEL", "INFO")},
    "loggers": {"django.server": {"level": "WARNING"}},
}
