"""Production settings: no default secrets, HTTPS only.

Required environment: SECRET_KEY, ALLOWED_HOSTS, FIELD_ENCRYPTION_KEYS, DATABASE_URL,
CELERY_BROKER_URL.
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import (
    ALLOWED_HOSTS,
    CELERY_TASK_ALWAYS_EAGER,
    FIELD_ENCRYPTION_KEYS,
    SECRET_KEY,
    env,
    logging_config,
)

DEBUG = False
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("Set SECRET_KEY to at least 50 random characters.")
if not ALLOWED_HOSTS or "*" in ALLOWED_HOSTS:
    raise ImproperlyConfigured("Set ALLOWED_HOSTS to the site's host names (no wildcard).")
if not FIELD_ENCRYPTION_KEYS:
    raise ImproperlyConfigured(
        "Set FIELD_ENCRYPTION_KEYS (generate a key with `manage.py generate_encryption_key`).")
try:
    from cryptography.fernet import Fernet

    for _key in FIELD_ENCRYPTION_KEYS:
        Fernet(_key.encode("ascii"))
except (ValueError, UnicodeEncodeError) as _exc:
    raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS must hold Fernet keys "
                               "(32 bytes, URL-safe base64).") from _exc
if CELERY_TASK_ALWAYS_EAGER:
    raise ImproperlyConfigured("Set CELERY_BROKER_URL for production; tasks must not run eagerly.")
DATABASES = {"default": env.db_url("DATABASE_URL")}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("Production runs on PostgreSQL: set DATABASE_URL to postgres://…")
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Behind PgBouncer in transaction mode: no server-side cursors (docs/operations.md, Scaling).
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env.bool("DB_DISABLE_SERVER_SIDE_CURSORS",
                                                                default=False)
# The worker's liveness file for the compose health check (python -m meldpunt.probe worker).
WORKER_HEARTBEAT_FILE = env("WORKER_HEARTBEAT_FILE", default="/tmp/meldpunt-worker-heartbeat")  # noqa: S108

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# Cookies only over HTTPS, for this host only (the __Host- prefix: Secure, Path=/, no Domain).
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken"

# One JSON object per log line (request_id, user_id, case_id; docs/operations.md). The worker
# and beat log through the same handler instead of Celery's own format.
LOGGING = logging_config(log_format=env("LOG_FORMAT", default="json"),
                         level=env("LOG_LEVEL", default="INFO"))
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
