"""Markbook settings: SQLite by default, PostgreSQL when DATABASE_URL says so."""

from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from markbook import local_secrets
from markbook.env import env_bool, env_int, env_str

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env_str("MARKBOOK_DATA_DIR", str(Path.cwd() / "var"))).resolve()
_secrets = local_secrets.load(DATA_DIR)

SECRET_KEY = _secrets["DJANGO_SECRET_KEY"]
MARKBOOK_MASTER_KEY = _secrets["MARKBOOK_MASTER_KEY"]
MARKBOOK_HASH_KEY = _secrets["MARKBOOK_HASH_KEY"]
# The access log's chain key (SEC-1): HMAC of every link. Empty: derived from
# MARKBOOK_HASH_KEY (audit/chain.py audit_key). Kept outside the database, so that
# someone who can write the database cannot reseal a rewritten chain.
MARKBOOK_AUDIT_KEY = env_str("MARKBOOK_AUDIT_KEY")
# Where `audit_heads_write` appends each chain's head (JSON lines, append-only) and
# `audit_verify` compares them: outside the database (SEC-1).
MARKBOOK_AUDIT_HEAD_FILE = env_str("MARKBOOK_AUDIT_HEAD_FILE", str(DATA_DIR / "audit-heads.log"))
# SEC-4: MARKBOOK_ENV=production is a deployment behind a TLS-terminating proxy
# (docs/deployment.md): debug off whatever MARKBOOK_DEBUG says, secure cookies, HSTS,
# HTTPS redirects; `markbook check --deploy` is clean with it (tests/core/test_production.py).
MARKBOOK_ENV = env_str("MARKBOOK_ENV", "development").strip().lower()
if MARKBOOK_ENV not in ("development", "production"):
    raise ImproperlyConfigured(
        f"MARKBOOK_ENV={MARKBOOK_ENV!r} is not an environment: use development or production."
    )
PRODUCTION = MARKBOOK_ENV == "production"
DEBUG = env_bool("MARKBOOK_DEBUG") and not PRODUCTION
ALLOWED_HOSTS = env_str("MARKBOOK_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.mfa",
    "ninja",
    "django_tasks_db",
    "markbook.core",
    "markbook.schools",
    "markbook.accounts",
    "markbook.rosters",
    "markbook.assessment",
    "markbook.tracking",
    "markbook.audit",
    "markbook.privacy",
    "markbook.rights",
    "markbook.consent",
    "markbook.practice",
    "markbook.breaches",
    "markbook.support",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "markbook.accounts.middleware.ApiTokenMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "markbook.accounts.middleware.PasswordChangeRequiredMiddleware",
    "markbook.accounts.middleware.PlatformStaffTwoFactorMiddleware",
    "markbook.audit.context.AuditOriginMiddleware",
    "markbook.admission.SchoolScopeMiddleware",
    "markbook.core.busy.DatabaseBusyMiddleware",
]

ROOT_URLCONF = "markbook.urls"
WSGI_APPLICATION = "markbook.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "markbook.admission.access_context",
                "markbook.accounts.context_processors.display",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'markbook.sqlite3'}"),
        # Seconds a server process keeps its connection between requests (0: one per
        # request). Production sets 60 or so (docs/deployment.md); the row-level
        # security setting is reset when each scope ends, so a kept connection holds none.
        conn_max_age=env_int("MARKBOOK_DB_CONN_MAX_AGE", 0, minimum=0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default under concurrent use (README, SQLite): WAL lets pages read
    # while an import writes; IMMEDIATE takes the write lock when a transaction begins,
    # so a second writer waits up to `timeout` seconds for it instead of failing midway;
    # a lock still held after that answers 503 "busy" (core/busy.py). The engine is
    # Django's with a JSON probe that reports a lock as a lock (core/sqlite/base.py).
    DATABASES["default"]["ENGINE"] = "markbook.core.sqlite"
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # Tests run in memory, as with Django's own engine (pytest-django recognises only
    # that engine's name; given a file name it would give each worker a file).
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "markbook.accounts.backends.SchoolPupilBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
# Argon2id first (ACC-2); the others only verify legacy hashes.
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

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_USER_MODEL_USERNAME_FIELD = "username"
ACCOUNT_ADAPTER = "markbook.accounts.adapter.AccountAdapter"
ACCOUNT_FORMS = {"set_password": "markbook.accounts.forms.SetPasswordForm"}
ACCOUNT_PREVENT_ENUMERATION = True
# ACC-5: failed sign-ins are throttled per address and locked out per account.
# The pupil page's address limit is looser: a whole school signs in from one address.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,50/h/ip,5/15m/key",
    "pupil_login_failed": "30/m/ip,300/h/ip,5/15m/key",
    # Wrong codes in the main sign-in page's "find your school" box (accounts.throttle).
    "school_code_failed": "5/m/ip,20/h/ip",
    # SEC-4: subject access exports per person (accounts.throttle.use): started, and
    # downloaded (a download is a whole archive read and decrypted).
    "privacy_export_start": env_str("MARKBOOK_EXPORT_START_LIMIT", "10/h/key,30/d/key"),
    "privacy_export_download": env_str("MARKBOOK_EXPORT_DOWNLOAD_LIMIT", "20/h/key,60/d/key"),
}
ACCOUNT_LOGOUT_ON_GET = False
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
SOCIALACCOUNT_ONLY = False
# ACC-1: sign in with Google or Microsoft through OpenID Connect, configured per
# deployment from the environment; a provider without a client id shows no button.
# Identities only link to existing accounts of a school (markbook.accounts.sso).
SOCIALACCOUNT_ADAPTER = "markbook.accounts.adapter.SocialAccountAdapter"
SOCIALACCOUNT_AUTO_SIGNUP = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_QUERY_EMAIL = True
_SSO_SERVERS = {
    "google": ("Google", "https://accounts.google.com"),
    "microsoft": (
        "Microsoft",
        "https://login.microsoftonline.com/"
        + env_str("MARKBOOK_MICROSOFT_TENANT", "organizations")
        + "/v2.0",
    ),
}
# allauth's provider configuration: nested dicts of mixed values (allauth is untyped).
SOCIALACCOUNT_PROVIDERS: dict[str, dict[str, Any]] = {
    "openid_connect": {
        "OAUTH_PKCE_ENABLED": True,
        "APPS": [
            {
                "provider_id": provider_id,
                "name": name,
                "client_id": env_str(f"MARKBOOK_{provider_id.upper()}_CLIENT_ID"),
                "secret": env_str(f"MARKBOOK_{provider_id.upper()}_CLIENT_SECRET"),
                "settings": {"server_url": server_url},
            }
            for provider_id, (name, server_url) in _SSO_SERVERS.items()
            if env_str(f"MARKBOOK_{provider_id.upper()}_CLIENT_ID")
        ],
    }
}

# Email: self-registration confirmation links (ACC-4) and password resets, by SMTP.
MAILERS = {
    "default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": env_str("MARKBOOK_SMTP_HOST", "localhost"),
            "port": env_int("MARKBOOK_SMTP_PORT", 25, minimum=1),
            "username": env_str("MARKBOOK_SMTP_USER"),
            "password": env_str("MARKBOOK_SMTP_PASSWORD"),
            "use_tls": env_bool("MARKBOOK_SMTP_TLS"),
        },
    }
}
DEFAULT_FROM_EMAIL = env_str("MARKBOOK_FROM_EMAIL", "Markbook <no-reply@localhost>")
# Put before links in emails sent without a page request (a request's outcome, DSR-6).
MARKBOOK_SITE_URL = env_str("MARKBOOK_SITE_URL", "")

# The cache holds the rate limits (sign-in, exports, answers; SEC-4) and the live class
# view (ASM-2, practice/live.py), which every server process must share: production
# sets MARKBOOK_CACHE_URL=redis://... (REDIS_URL is read too); without it, the database
# cache (its table made by `migrate`, see practice/apps.py). A per-process cache
# (locmem) would show each process only its own pupils; the tests use one.
_cache_url = env_str("MARKBOOK_CACHE_URL", env_str("REDIS_URL"))
if _cache_url and not _cache_url.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured(
        f"MARKBOOK_CACHE_URL={_cache_url!r} is not a Redis address: use redis://host:6379/0."
    )
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": _cache_url,
    }
    if _cache_url
    else {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "markbook_cache",
    }
}

TASKS = {
    "default": {
        "BACKEND": env_str("MARKBOOK_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
# The project's own stylesheet and scripts (src/markbook/static): `markbook` is not an app.
# Front-end packages come from npm (package.json; never a CDN, never committed): `npm ci`
# and `npm run build` copy the files they need into build/static of the checkout.
FRONT_END_DIR = Path(
    env_str("MARKBOOK_FRONT_END_DIR", str(BASE_DIR.parents[1] / "build" / "static"))
).resolve()
STATICFILES_DIRS = [BASE_DIR / "static", FRONT_END_DIR]
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise expects it; collectstatic fills it
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# SEC-4: secure cookies, CSRF, a strict content security policy.
_https = env_bool("MARKBOOK_HTTPS") or PRODUCTION
SESSION_COOKIE_SECURE = _https
CSRF_COOKIE_SECURE = _https
if PRODUCTION:
    # TLS ends at the proxy in front (nginx or Caddy, docs/deployment.md), which must
    # set X-Forwarded-Proto itself (overwriting any the client sent).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    # The health endpoint answers the proxy's and monitor's plain-HTTP probes on loopback.
    SECURE_REDIRECT_EXEMPT = [r"^health$"]
    SECURE_HSTS_SECONDS = env_int("MARKBOOK_HSTS_SECONDS", 60 * 60 * 24 * 365, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("MARKBOOK_HSTS_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("MARKBOOK_HSTS_PRELOAD", True)
    if _site := env_str("MARKBOOK_SITE_URL"):
        CSRF_TRUSTED_ORIGINS = ["/".join(_site.split("/")[:3])]
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 8
# ACC-7, SEC-6: the preference cookie keeps display preferences for signed-out pages.
MARKBOOK_DISPLAY_COOKIE = "markbook_display"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CSP: dict[str, list[str]] = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
# ACC-1: the "Sign in with ..." forms answer with a redirect to the provider, which
# form-action must allow (browsers check it on the redirect too).
SECURE_CSP["form-action"] += sorted(
    {
        "/".join(app["settings"]["server_url"].split("/")[:3])
        for app in SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"]
    }
)

# Online practice (ASM-2, ASM-7, SEC-4, practice/answering.py). A timed question's
# answer still counts if it reaches the server within this long after its deadline:
# the question took time to reach the pupil's screen and the answer to come back.
MARKBOOK_PRACTICE_NETWORK_TOLERANCE_MS = env_int(
    "MARKBOOK_PRACTICE_NETWORK_TOLERANCE_MS", 1000, minimum=0
)
# Answers accepted per minute from one pupil, and from one address (a whole school
# may answer from one address; 0 turns a limit off, e.g. for a load benchmark).
MARKBOOK_PRACTICE_ANSWERS_PER_MINUTE = env_int(
    "MARKBOOK_PRACTICE_ANSWERS_PER_MINUTE", 90, minimum=0
)
MARKBOOK_PRACTICE_ANSWERS_PER_MINUTE_PER_ADDRESS = env_int(
    "MARKBOOK_PRACTICE_ANSWERS_PER_MINUTE_PER_ADDRESS", 6000, minimum=0
)
# The fair-use check of answers that look automated (ASM-7); off only for a load
# benchmark whose scripted pupils would otherwise be suspended.
MARKBOOK_PRACTICE_FAIR_USE = env_bool("MARKBOOK_PRACTICE_FAIR_USE", True)
# Uploaded files (practice prompts' images and audio, ASM-2): stored per school under
# the data directory and served only through a view that checks access, never from a
# public URL (practice/media.py). MEDIA_URL is not routed.
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/media-not-served/"
MARKBOOK_PROMPT_IMAGE_MAX_BYTES = env_int(
    "MARKBOOK_PROMPT_IMAGE_MAX_BYTES", 2 * 1024 * 1024, minimum=1
)
MARKBOOK_PROMPT_AUDIO_MAX_BYTES = env_int(
    "MARKBOOK_PROMPT_AUDIO_MAX_BYTES", 10 * 1024 * 1024, minimum=1
)

# Uploads: a class list is small; anything bigger is refused with a clear message.
MARKBOOK_MAX_UPLOAD_BYTES = env_int("MARKBOOK_MAX_UPLOAD_BYTES", 2 * 1024 * 1024, minimum=1)
DATA_UPLOAD_MAX_MEMORY_SIZE = MARKBOOK_MAX_UPLOAD_BYTES + 64 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = MARKBOOK_MAX_UPLOAD_BYTES + 64 * 1024

# Background roster imports (ROS-2, ROS-4; see rosters/imports/stalled.py). A running
# import saves progress (its heartbeat) every 100 MIS rows; its longest silence is a write
# (an MIS file of the largest size, 21,000 pupils: 1.8 s on PostgreSQL) or a whole OneRoster
# import (15,000 new pupils, near the per-file limit: 166 s on PostgreSQL, 64 s on SQLite).
# One silent for STALL_MINUTES has lost its worker; raise it on a much slower server. A
# healthy worker starts a queued import within seconds: one still queued after QUEUE_HOURS
# has no worker. Either is "stalled": retried or cancelled by an administrator, failed by
# `markbook_import_jobs_sweep` (run it daily).
# Support access (TEN-6): the longest a school can grant platform staff access at once.
MARKBOOK_SUPPORT_GRANT_MAX_DAYS = env_int("MARKBOOK_SUPPORT_GRANT_MAX_DAYS", 14, minimum=1)
# Platform staff (support access under a grant, the breach register, deleting an ended
# school's data) must set up an authenticator app before anything else: on by default
# in production (TEN-6, ACC-5); the demo and a development machine leave it off.
MARKBOOK_PLATFORM_STAFF_TWO_FACTOR = env_bool("MARKBOOK_PLATFORM_STAFF_TWO_FACTOR", PRODUCTION)
MARKBOOK_IMPORT_STALL_MINUTES = env_int("MARKBOOK_IMPORT_STALL_MINUTES", 15, minimum=1)
MARKBOOK_IMPORT_QUEUE_HOURS = env_int("MARKBOOK_IMPORT_QUEUE_HOURS", 2, minimum=1)

# The /health check (markbook.health, docs/deployment.md): the hourly sweep's last run
# may be this old, and a task may wait this long for the worker.
MARKBOOK_HEALTH_SCHEDULER_MINUTES = env_int("MARKBOOK_HEALTH_SCHEDULER_MINUTES", 90, minimum=1)
MARKBOOK_HEALTH_WORKER_MINUTES = env_int("MARKBOOK_HEALTH_WORKER_MINUTES", 10, minimum=1)

# TEN-7: the version of the data-protection terms a school must accept.
MARKBOOK_TERMS_VERSION = "2026-09"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
