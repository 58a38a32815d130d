"""Settings for running the product on one machine: SQLite and in-process Celery by default."""

import os

os.environ.setdefault("SECRET_KEY", "local-development-only-not-secret")  # noqa: S105
# DEBUG stays off by default even here: Django's debug pages would show what a reporter typed.
# `make run` serves static files with `runserver --insecure` instead. Set DEBUG=true to develop.
# A fixed, published key: for local data only, never for real reports.
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", "8mfCvBxJEwLFyH4Dvu9gJk-devPgHIMLJ4Y4I7-0XWs=")  # noqa: S105
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")

from .base import *  # noqa: E402,F403
from .base import DATABASES, MELDPUNT_OFFICE, STORAGES, env  # noqa: E402

if DATABASES["default"].get("ENGINE") == "django.db.backends.sqlite3":
    # Parallel requests (a double click, the rate-limit counters) wait for the write lock
    # instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE"})

# Obviously fake contact details, so that the demo shows them (production has none by default).
# Read after base.py loaded .env, so the environment and .env still win; set one to "" to hide it.
MELDPUNT_OFFICE = {
    **MELDPUNT_OFFICE,
    "email": env("OFFICE_EMAIL", default="info@meldpunt.example"),
    "phone": env("OFFICE_PHONE", default="012 345 6789"),
    "address": env("OFFICE_ADDRESS", default="Voorbeeldstraat 1, 1234 AB Voorbeeldplaats"),
    "website": env("OFFICE_WEBSITE", default="https://meldpunt.example"),
    "privacy_officer_email": env("OFFICE_PRIVACY_OFFICER_EMAIL",
                                 default="privacy@meldpunt.example"),
}

STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
# Static files come from the app directories here (runserver / the test server), not WhiteNoise.
MIDDLEWARE = [m for m in MIDDLEWARE if not m.startswith("whitenoise.")]  # noqa: F405
