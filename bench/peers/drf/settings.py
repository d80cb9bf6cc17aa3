"""Settings as a Django user would deploy an API: DEBUG off, JSON only, JWT with rotation.

The harness sets BENCH_DRF_* in the environment: the database, the signing key and which
password hasher hashes new app secrets (`default`: Django's PBKDF2; `one-iteration`).
"""

import os
from datetime import timedelta

SECRET_KEY = os.environ.get("BENCH_DRF_SECRET_KEY", "")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "bench.peers.drf.urls"
WSGI_APPLICATION = "bench.peers.drf.wsgi.application"
USE_TZ = True
TIME_ZONE = "UTC"

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "bench.peers.drf.apps.PeerConfig",
]
# An API-only project: no sessions, CSRF, messages or templates.
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
]
AUTH_USER_MODEL = "peer.App"

if os.environ.get("BENCH_DRF_POSTGRES"):
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": os.environ["BENCH_DRF_POSTGRES"],
            "HOST": os.environ.get("BENCH_DRF_POSTGRES_HOST", "127.0.0.1"),
            "PORT": os.environ.get("BENCH_DRF_POSTGRES_PORT", "5432"),
            "USER": os.environ.get("BENCH_DRF_POSTGRES_USER", "postgres"),
            # Persistent connections, as Django's deployment checklist advises.
            "CONN_MAX_AGE": 600,
            "CONN_HEALTH_CHECKS": True,
        }
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("BENCH_DRF_SQLITE", "drf.sqlite3"),
            # What Django's docs advise for SQLite under concurrent writers (and what
            # jpay-server sets): WAL, synchronous=NORMAL, a busy timeout, BEGIN IMMEDIATE.
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            "CONN_MAX_AGE": 600,
        }
    }

_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "bench.peers.drf.hashers.OneIterationPBKDF2PasswordHasher",
]
PASSWORD_HASHERS = (
    _HASHERS[::-1] if os.environ.get("BENCH_DRF_HASHER") == "one-iteration" else _HASHERS
)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "bench.peers.drf.pagination.Pages",
    "UNAUTHENTICATED_USER": None,
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=15),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=1),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": os.environ.get("BENCH_DRF_SIGNING_KEY", SECRET_KEY),
    "AUDIENCE": "jpay:api",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
