"""Settings for the test suite. DATABASE_URL and CELERY_BROKER_URL come from the environment."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-not-secret")  # noqa: S105
# A fixed, published key: for test data only, never for real reports.
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", "wqU9Hs8x-aZjHeJHDDcpaCUakGzHbs6Sh9a-vib8GGI=")  # noqa: S105
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")

from .base import *  # noqa: E402,F403
from .base import STORAGES, env  # noqa: E402

STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Unit tests run tasks in-process; the integration tests switch this off and start a real worker.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
# Static files come from the app directories here (runserver / the test server), not WhiteNoise.
MIDDLEWARE = [m for m in MIDDLEWARE if not m.startswith("whitenoise.")]  # noqa: F405
# The intake's per-IP limit: high, because the tests post many reports from one address (the
# limit itself is tested with an override).
INTAKE_POSTS_PER_HOUR = env.int("INTAKE_POSTS_PER_HOUR", default=100_000)
