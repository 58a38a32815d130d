"""Settings for running the product on one machine: SQLite and in-process Celery by default."""

import os

os.environ.setdefault("SECRET_KEY", "local-development-only-not-secret")  # noqa: S105
os.environ.setdefault("DEBUG", "true")
# A fixed, published key: for local data only, never for real reports.
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", "8mfCvBxJEwLFyH4Dvu9gJk-devPgHIMLJ4Y4I7-0XWs=")  # noqa: S105
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")

from .base import *  # noqa: E402,F403
from .base import STORAGES  # noqa: E402

STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
# Static files come from the app directories here (runserver / the test server), not WhiteNoise.
MIDDLEWARE = [m for m in MIDDLEWARE if not m.startswith("whitenoise.")]  # noqa: F405
