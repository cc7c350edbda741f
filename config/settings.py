"""eSchool settings: one module, driven by the environment.

With nothing set, eSchool runs embedded: SQLite in WAL mode, an in-memory
channel layer, a local-memory cache and a SQLite Huey queue. Setting
DATABASE_URL and REDIS_URL switches to PostgreSQL and Redis for a real district.
"""

import json
import os
import warnings
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("ESCHOOL_DEBUG", False)
# A fixed development key keeps `make run` at two commands; production sets its own.
SECRET_KEY = os.environ.get("ESCHOOL_SECRET_KEY", "dev-only-insecure-key-change-me-in-production")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

DATA_DIR = Path(os.environ.get("ESCHOOL_DATA_DIR", BASE_DIR / "var"))
DATA_DIR.mkdir(parents=True, exist_ok=True)
MEDIA_ROOT = Path(os.environ.get("ESCHOOL_MEDIA_ROOT", DATA_DIR / "media"))
MEDIA_URL = os.environ.get("ESCHOOL_MEDIA_URL", "/media/")
# Files that must never be served to the public (uploaded spreadsheets waiting for
# their preview to be confirmed): outside MEDIA_ROOT, which nginx or a CDN serves.
ESCHOOL_PRIVATE_ROOT = Path(os.environ.get("ESCHOOL_PRIVATE_ROOT", DATA_DIR / "private"))
STATIC_ROOT = Path(os.environ.get("ESCHOOL_STATIC_ROOT", DATA_DIR / "static"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on every request without it
STATIC_URL = "/static/"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # Front-end libraries come from the npm registry (package-lock.json) and are
    # served by eSchool itself: many users cannot reach public CDNs.
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
    ("vendor/hls", BASE_DIR / "node_modules" / "hls.js" / "dist"),
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "huey.contrib.djhuey",
    "eschool.core",
    "eschool.org",
    "eschool.accounts",
    "eschool.classroom",
    "eschool.homeschool",
    "eschool.live",
    "eschool.watching",
    "eschool.safety",
    "eschool.chat",
    "eschool.tutoring",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "eschool.core.middleware.DistrictLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "eschool.accounts.middleware.PasswordChangeRequiredMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "eschool.homeschool.context_processors.notifications",
            ],
        },
    },
]

# Databases -------------------------------------------------------------------
# HTTP requests one worker lets into Django at once; the others wait in line
# (eschool.core.request_line), in the event loop rather than in threads.
ESCHOOL_REQUESTS_PER_WORKER = int(os.environ.get("ESCHOOL_REQUESTS_PER_WORKER", "16"))
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL)}
    # Connections one worker keeps open to PostgreSQL and reuses (psycopg's pool).
    # Under ASGI every request runs its ORM work in a fresh thread and the WebSocket
    # consumers' database calls close their connection after each call, so without
    # a pool each of them connects anew; with it they borrow an open connection
    # (bench/tutoring.py --quick: 1.4–4.7× the messages a second). The default is the line's
    # places, one for the thread all WebSocket consumers share for their database
    # calls, and 3 for work outside the line (an OBS stream's puller thread).
    # After a burst a worker keeps up to this many open for 10 minutes: keep
    # workers × this, plus the Huey worker's and commands', below max_connections.
    # 0: no pool, connect per request (ESCHOOL_DB_CONN_MAX_AGE; e.g. behind PgBouncer).
    ESCHOOL_DB_POOL_SIZE = int(
        os.environ.get("ESCHOOL_DB_POOL_SIZE", str((ESCHOOL_REQUESTS_PER_WORKER or 16) + 4))
    )
    if ESCHOOL_DB_POOL_SIZE > 0 and DATABASES["default"]["ENGINE"].endswith("postgresql"):
        # Django refuses persistent connections with a pool: the pool keeps them.
        CONN_MAX_AGE = 0
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            # Two stay open through a quiet evening, so the first requests after it
            # don't wait for PostgreSQL to start a backend; the rest close after
            # 10 idle minutes (psycopg's max_idle).
            "min_size": min(2, ESCHOOL_DB_POOL_SIZE),
            "max_size": ESCHOOL_DB_POOL_SIZE,
            # A thread that finds every connection lent out waits this long, then
            # its request fails with an error in the log rather than hanging.
            "timeout": 10,
        }
    else:
        # 0 under ASGI: every request runs its ORM work in a fresh thread, so a kept
        # connection is never reused and lingers, and a burst of requests exhausts
        # PostgreSQL's max_connections (bench/booking_storm.py).
        CONN_MAX_AGE = int(os.environ.get("ESCHOOL_DB_CONN_MAX_AGE", "0"))
    DATABASES["default"]["CONN_MAX_AGE"] = CONN_MAX_AGE
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("ESCHOOL_SQLITE_PATH", str(DATA_DIR / "eschool.sqlite3")),
            "OPTIONS": {
                # WAL lets readers go on while one writer writes; IMMEDIATE makes a
                # write transaction take the lock at BEGIN, so two writers queue
                # instead of failing half-way with "database is locked".
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=20000;"
                ),
            },
            # Tests use a file too, not Django's shared in-memory database: there a
            # second writer fails at once ("table is locked") instead of queueing,
            # so concurrency could not be tested the way a district runs it.
            "TEST": {"NAME": str(DATA_DIR / f"test-{os.getpid()}.sqlite3")},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis: cache, channel layer and task queue ----------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "eschool",
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # A consumer waits for its messages with BZPOPMIN for 5 s; redis-py 8 gives up on
            # any read after 5 s by default, which killed idle sockets (chat, live ingest).
            # Its pool stops at 100 connections per worker: when hundreds of sockets closed at
            # once, group_discard raised MaxConnectionsError (bench/tutoring.py).
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, "socket_timeout": 15, "max_connections": 1000}]
            },
        }
    }
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "eschool",
        "url": REDIS_URL,
        "immediate": False,
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "eschool",
        "filename": str(DATA_DIR / "huey.sqlite3"),
        "immediate": False,
    }
if env_bool("ESCHOOL_HUEY_IMMEDIATE"):
    HUEY["immediate"] = True

# Accounts ---------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["eschool.accounts.backends.NumberOrPhoneBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "eschool.accounts.validators.PasswordLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"
LOGOUT_REDIRECT_URL = "/"
SESSION_COOKIE_AGE = 60 * 60 * 24 * 14

# Language and time --------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# The district ---------------------------------------------------------------------
# Tomorrow's timetable becomes public at this local time (Asia/Shanghai) each day.
ESCHOOL_PUBLICATION_TIME = os.environ.get("ESCHOOL_PUBLICATION_TIME", "18:00")
# District events and published replays may be watched without an account.
ESCHOOL_PUBLIC_WATCH = env_bool("ESCHOOL_PUBLIC_WATCH", True)
ESCHOOL_HOME_REGION = os.environ.get("ESCHOOL_HOME_REGION", "鼓楼区")
ESCHOOL_SITE_NAME = os.environ.get("ESCHOOL_SITE_NAME", "")
# Imports larger than this are refused before they are read.
ESCHOOL_IMPORT_MAX_BYTES = int(os.environ.get("ESCHOOL_IMPORT_MAX_BYTES", 30 * 1024 * 1024))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Uploaded covers, speaker photos and course materials (eschool/core/uploads.py).
ESCHOOL_MAX_IMAGE_BYTES = int(os.environ.get("ESCHOOL_MAX_IMAGE_BYTES", 5 * 1024 * 1024))
ESCHOOL_MAX_MATERIAL_BYTES = int(os.environ.get("ESCHOOL_MAX_MATERIAL_BYTES", 50 * 1024 * 1024))
ESCHOOL_MAX_IMAGE_PIXELS = int(os.environ.get("ESCHOOL_MAX_IMAGE_PIXELS", 40_000_000))
# Replays (eschool/live): the HLS renditions an uploaded recording is transcoded to.
ESCHOOL_REPLAY_RENDITIONS = ((1280, 720), (640, 360))
# Recorded lessons uploaded in chunks (eschool/live/chunked.py): larger files are refused first.
ESCHOOL_MAX_VIDEO_BYTES = int(os.environ.get("ESCHOOL_MAX_VIDEO_BYTES", 2 * 1024**3))
# Broadcasting from OBS (eschool/live/rtmp.py, deploy/nginx/rtmp.conf): the addresses nginx-rtmp
# calls the app from (addresses or networks), and where the app pulls an accepted stream from.
ESCHOOL_RTMP_CALLBACK_ADDRESSES = env_list("ESCHOOL_RTMP_CALLBACK_ADDRESSES", "127.0.0.1,::1")
ESCHOOL_RTMP_PULL_URL = os.environ.get("ESCHOOL_RTMP_PULL_URL", "rtmp://127.0.0.1:1935/live")
# The RTMP server teachers type into OBS; empty: rtmp://<the site's host>/live.
ESCHOOL_RTMP_URL = os.environ.get("ESCHOOL_RTMP_URL", "")
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Live chat beside a session's video (eschool/chat): longest message, and the rate limits
# per user as (messages, seconds) pairs, every one of which must allow a message.
ESCHOOL_CHAT_MAX_LENGTH = int(os.environ.get("ESCHOOL_CHAT_MAX_LENGTH", 300))
ESCHOOL_CHAT_RATE_LIMITS = ((5, 10), (30, 60))
# Voice in tutoring rooms (WebRTC): the STUN/TURN servers the two browsers use to find each
# other, a JSON list of RTCIceServer objects. Empty: direct connections only, which work on
# one network but rarely across NATs; a district runs its own coturn (see eschool/tutoring).
ESCHOOL_ICE_SERVERS = json.loads(os.environ.get("ESCHOOL_ICE_SERVERS") or "[]")
if not isinstance(ESCHOOL_ICE_SERVERS, list) or not all(
    isinstance(server, dict) and "urls" in server for server in ESCHOOL_ICE_SERVERS
):
    raise ValueError('ESCHOOL_ICE_SERVERS must be a JSON list like [{"urls": "stun:…"}]')

# Security -------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("ESCHOOL_HTTPS", False)
CSRF_COOKIE_SECURE = env_bool("ESCHOOL_HTTPS", False)
if env_bool("ESCHOOL_HTTPS", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
    },
}
# WhiteNoise hands Django a file iterator that Django reads in a worker thread
# under ASGI; it works and is measured (bench/timetable_page.py), so the
# per-request warning is only noise in the server log.
warnings.filterwarnings(
    "ignore", message="StreamingHttpResponse must consume synchronous iterators"
)
# Without collectstatic (development and tests) WhiteNoise serves from the finders.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("ESCHOOL_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
