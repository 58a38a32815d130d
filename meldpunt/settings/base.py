"""Settings shared by every environment, grouped by concern.

Everything that differs between deployments is read from the environment with django-environ.
See ``docs/configuration.md`` for the full list of variables. The sections, in order:

1. Core: secret, debug, hosts
2. Applications, middleware, URLs and templates
3. Database
4. Internationalisation and time
5. Static files, media and uploads
6. The office this deployment serves
7. Authentication: backends, passwords, two factors, lockouts
8. Security: sessions, cookies, headers, Content-Security-Policy
9. Encryption at rest and privacy
10. Intake (the public form) and the follow-up portal
11. Case handling
12. Annual statistics
13. E-mail and the outbox
14. Celery (broker, tasks, beat schedule)
15. Logging

A setting that depends on another (``CELERY_TIMEZONE`` on ``TIME_ZONE``, ``OTP_TOTP_ISSUER`` on
the office's name) comes after it.
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

# --- 1. Core -----------------------------------------------------------------------------------
BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("SECRET_KEY")
# Old secrets that still verify sessions, password-reset and first-login links while they expire
# after a SECRET_KEY rotation (docs/operations.md); comma-separated.
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# --- 2. Applications, middleware, URLs and templates ---------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "guardian",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "reports.apps.ReportsConfig",
]

MIDDLEWARE = [
    # /healthz and /readyz for probes, before host validation and the HTTPS redirect.
    "meldpunt.health.ProbeMiddleware",
    # A request id, the user id and the case id on every log line; one line per request.
    "meldpunt.logs.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # "Origin: null" from our own pages (no-referrer) is read as our origin (reports/csrf.py).
    "reports.csrf.FetchMetadataOriginMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Runs before CSRF's process_view reads the body: an oversized intake POST gets the form.
    "reports.uploads.IntakeRequestLimitMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Session limits, the second factor on staff pages, no-store, 403 logging (docs/security.md).
    "reports.security.StaffSecurityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # django-axes wants to be last: it turns a lockout into the lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "meldpunt.urls"
WSGI_APPLICATION = "meldpunt.wsgi.application"

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
                "reports.context_processors.office",
                "reports.context_processors.navigation",
            ],
        },
    },
]
# Forms are rendered by django-crispy-forms with its Bootstrap 5 pack.
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- 3. Database ---------------------------------------------------------------------------------
# DATABASE_URL selects the database; without it an embedded SQLite file is used.
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# PostgreSQL's JIT compiles the expressions of queries it estimates to be expensive: the case
# list's bounded counts at 1,000,000 complaints spent about 100 ms compiling for 10-20 ms of work
# (issue 13, docs/benchmarks.md). Off per connection, as a startup option (no extra query);
# DB_JIT=true keeps the server's setting (e.g. behind a PgBouncer that refuses startup options;
# then set jit per database role, docs/operations.md).
if (DATABASES["default"].get("ENGINE", "").endswith("postgresql")
        and not env.bool("DB_JIT", default=False)):
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = f"{_options.get('options', '')} -c jit=off".strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# PostgreSQL statement_timeout in seconds (0: none) for web requests (meldpunt.wsgi; below
# gunicorn's 30 s request timeout) and for Celery workers (meldpunt.celery); management
# commands such as migrate keep the server's setting (meldpunt.database, docs/operations.md).
DB_STATEMENT_TIMEOUT_SECONDS = env.int("DB_STATEMENT_TIMEOUT_SECONDS", default=20)
WORKER_DB_STATEMENT_TIMEOUT_SECONDS = env.int("WORKER_DB_STATEMENT_TIMEOUT_SECONDS", default=600)

# --- 4. Internationalisation and time ------------------------------------------------------------
LANGUAGE_CODE = "nl"
# The public pages' languages (the back office is Dutch and English). Arabic is right-to-left.
LANGUAGES = [("nl", _("Dutch")), ("en", _("English")), ("ar", _("Arabic")), ("tr", _("Turkish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Every calendar date is a date in Europe/Amsterdam (the code uses reports.timezones.AMSTERDAM).
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True
# One date format per language everywhere (nl: 02-12-2026 14:05): meldpunt/formats/<lang>/.
FORMAT_MODULE_PATH = ["meldpunt.formats"]

# --- 5. Static files, media and uploads ----------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "meldpunt" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media"))
# Attachments of cases (encrypted files, never served directly).
PRIVATE_MEDIA_ROOT = env.path("PRIVATE_MEDIA_ROOT", default=str(BASE_DIR / "var" / "private"))
# Attachments on the public form and in the portal: files per upload and bytes per file.
ATTACHMENT_MAX_FILES = env.int("ATTACHMENT_MAX_FILES", default=5)
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
# Django's own limits: non-file fields (2.5 MB), files kept in memory before going to a temporary
# file (2.5 MB), and files per request (above ATTACHMENT_MAX_FILES, so that choosing too many
# files gives the form's own message and keeps the reporter's text).
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FILES = 100

# --- 6. The office this deployment serves --------------------------------------------------------
# The office (antidiscriminatievoorziening). Configuration, not code; `load_reference_data`
# writes it to the database.
MELDPUNT_OFFICE = {
    "code": env("OFFICE_CODE", default="MDD"),
    "name": env("OFFICE_NAME", default="Meldpunt Discriminatie Drenthe"),
    "municipalities": env.list(
        "OFFICE_MUNICIPALITIES",
        default=[
            "GM1680", "GM0106", "GM1681", "GM0109", "GM1690", "GM0114",
            "GM0118", "GM0119", "GM1731", "GM1699", "GM1730", "GM1701",
        ],
    ),
    # Public contact details (GDPR art. 13(1)(a)/(b)), shown on the privacy statement and in the
    # footer. Empty by default: a line whose value is empty is left out, never filled in.
    "email": env("OFFICE_EMAIL", default=""),
    "phone": env("OFFICE_PHONE", default=""),
    "address": env("OFFICE_ADDRESS", default=""),
    "website": env("OFFICE_WEBSITE", default=""),
    "privacy_officer_email": env("OFFICE_PRIVACY_OFFICER_EMAIL", default=""),
}
# The back office's public address for links in e-mail, e.g. https://meldpunt.example.nl.
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

# --- 7. Authentication: backends, passwords, two factors, lockouts (docs/security.md) -----------
AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses locked-out username+IP pairs before any password check.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
# django-guardian: no anonymous user row; object permissions are only for staff accounts.
ANONYMOUS_USER_NAME = None
LOGIN_URL = "backoffice:login"
LOGIN_REDIRECT_URL = "backoffice:complaint_list"
LOGOUT_REDIRECT_URL = "backoffice:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    # Older hashes still verify and are upgraded to Argon2 at the next login.
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
# A password-reset link works once and for one hour.
PASSWORD_RESET_TIMEOUT = 60 * 60
# A new account's first-login link (choose a password, then set up the authenticator) works
# once and for this many days (manage.py create_staff_user; municipal accounts).
STAFF_INVITATION_DAYS = env.int("STAFF_INVITATION_DAYS", default=7)

# Two-factor authentication (django-otp): TOTP plus single-use recovery codes. django-otp's own
# exponential back-off is off; reports.security locks the second factor after 5 wrong codes.
OTP_TOTP_ISSUER = MELDPUNT_OFFICE["name"]
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_STATIC_THROTTLE_FACTOR = 0
SECOND_FACTOR_FAILURE_LIMIT = 5
SECOND_FACTOR_LOCKOUT_SECONDS = 15 * 60
RECOVERY_CODE_COUNT = 10

# django-axes: 5 failed logins for one username from one address lock that pair for 30 minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.5  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Attempts during a lockout do not extend it (else anyone could keep a colleague locked out).
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_HANDLER = "reports.security.SecurityLogAxesHandler"
AXES_LOCKOUT_CALLABLE = "reports.security.lockout_response"

# --- 8. Security: sessions, cookies, headers, Content-Security-Policy (docs/security.md) --------
# Sessions: a new key at login (Django), 30 minutes idle, 10 hours at most after login. The
# cookie and the database row expire after 30 minutes without a request; StaffSecurityMiddleware
# enforces both limits on the server.
# Database sessions, a new key inserted without looking it up first (meldpunt/sessions.py).
SESSION_ENGINE = "meldpunt.sessions"
SESSION_COOKIE_AGE = 30 * 60
STAFF_SESSION_IDLE_SECONDS = SESSION_COOKIE_AGE
STAFF_SESSION_MAX_SECONDS = 10 * 60 * 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "reports.views.errors.csrf_failure"
X_FRAME_OPTIONS = "DENY"
# No referrer anywhere. Browsers then send "Origin: null" with our own form POSTs; the CSRF
# middleware (reports/csrf.py) accepts that only with "Sec-Fetch-Site: same-origin".
SECURE_REFERRER_POLICY = "no-referrer"
SECURE_CONTENT_TYPE_NOSNIFF = True
# Content-Security-Policy (django-csp 4): only this site's own files; no inline script or style.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

# --- 9. Encryption at rest and privacy (docs/security.md, docs/privacy.md) ----------------------
# Fernet keys, comma-separated: the first encrypts, all decrypt (rotation: docs/security.md).
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])
# Personal data is removed this many years after a case was closed (Europe/Amsterdam dates).
RETENTION_YEARS = env.int("RETENTION_YEARS", default=5)

# --- 10. Intake (the public form) and the follow-up portal ---------------------------------------
# Safe intake (reports/uploads.py; docs/deployment.md "Upload sizes"). POSTs to /melden/ per
# client IP per hour (a repeated submission token does not count); a larger intake body than
# INTAKE_MAX_REQUEST_BYTES is answered with the form and a message (413) without reading it.
# Keep the reverse proxy's body limit above it (60 MB in the documented nginx configuration).
INTAKE_POSTS_PER_HOUR = env.int("INTAKE_POSTS_PER_HOUR", default=20)
INTAKE_MAX_REQUEST_BYTES = env.int("INTAKE_MAX_REQUEST_BYTES",
                                   default=ATTACHMENT_MAX_FILES * ATTACHMENT_MAX_BYTES + 2**21)
# Proxies in front that append the client's address to X-Forwarded-For (reports.throttling.
# client_ip); 0: REMOTE_ADDR is the client. Behind one reverse proxy set 1, else every reporter
# shares the proxy's address and its limits.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# The follow-up portal (/melden/opvolgen/): guessing protection for receipt codes (reports.
# services.followup; docs/security.md). Per client IP and per code prefix (first group): so many
# free failures per window, then each further failure blocks for a delay that doubles from
# BASE_DELAY up to MAX_DELAY. The portal forgets the case after IDLE seconds without a request.
FOLLOWUP_IP_FREE_FAILURES = env.int("FOLLOWUP_IP_FREE_FAILURES", default=5)
FOLLOWUP_IP_WINDOW_SECONDS = env.int("FOLLOWUP_IP_WINDOW_SECONDS", default=60 * 60)
FOLLOWUP_PREFIX_FREE_FAILURES = env.int("FOLLOWUP_PREFIX_FREE_FAILURES", default=5)
FOLLOWUP_PREFIX_WINDOW_SECONDS = env.int("FOLLOWUP_PREFIX_WINDOW_SECONDS", default=24 * 60 * 60)
FOLLOWUP_BASE_DELAY_SECONDS = env.int("FOLLOWUP_BASE_DELAY_SECONDS", default=2)
FOLLOWUP_MAX_DELAY_SECONDS = env.int("FOLLOWUP_MAX_DELAY_SECONDS", default=60 * 60)
FOLLOWUP_SESSION_IDLE_SECONDS = env.int("FOLLOWUP_SESSION_IDLE_SECONDS", default=30 * 60)

# --- 11. Case handling (docs/case-handling.md) ---------------------------------------------------
# The first answer to a reporter is due this many working days after receipt.
FIRST_RESPONSE_WORKING_DAYS = env.int("FIRST_RESPONSE_WORKING_DAYS", default=5)
BACKOFFICE_PAGE_SIZE = env.int("BACKOFFICE_PAGE_SIZE", default=25)
#: Cases per transaction in background jobs over many cases (mass reports, bulk actions).
CASE_JOB_BATCH_SIZE = env.int("CASE_JOB_BATCH_SIZE", default=200)
# The case list counts (and pages through) at most this many cases; beyond, it says "more than".
BACKOFFICE_COUNT_LIMIT = env.int("BACKOFFICE_COUNT_LIMIT", default=10_000)
# The same for a text search: counting 10,001 matches of a common word read some 30,000 cases
# at 1,000,000 (60-90 ms); nobody pages through a thousand search results (issue 13).
BACKOFFICE_SEARCH_COUNT_LIMIT = env.int("BACKOFFICE_SEARCH_COUNT_LIMIT", default=1_000)

# --- 12. Annual statistics (docs/annual-statistics.md, docs/disclosure-control.md) --------------
# How long `manage.py annual_statistics` waits for the worker.
ANNUAL_STATISTICS_WAIT_SECONDS = env.int("ANNUAL_STATISTICS_WAIT_SECONDS", default=600)
# Cells below this count are suppressed in released reports.
DISCLOSURE_THRESHOLD = env.int("DISCLOSURE_THRESHOLD", default=5)

# --- 13. E-mail and the outbox (docs/operations.md) ----------------------------------------------
# EMAIL_URL (django-environ) sets EMAIL_BACKEND, EMAIL_HOST, EMAIL_PORT, EMAIL_USE_TLS, ...
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="meldpunt@localhost")
# An SMTP server that accepts the connection but never answers must not hold a worker forever.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
# Where the office hears about a new online report (case number and back-office link only).
OFFICE_NOTIFY_EMAILS = env.list("OFFICE_NOTIFY_EMAILS", default=[])

# --- 14. Celery ----------------------------------------------------------------------------------
# Without CELERY_BROKER_URL, tasks run in-process (eagerly) and no Redis is needed.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL)
if not CELERY_BROKER_URL:
    CELERY_BROKER_URL = "memory://localhost/"
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
# Nothing lost, nothing doubled (docs/operations.md): a task is acknowledged after it ran, and
# handed out again when its worker died.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing from the web process fails fast when Redis is down or hangs: no publish retries, a
# 1 s connect and socket timeout and no reconnect loop for a publisher's channel. The outbox
# keeps the e-mail pending and the relay (beat, every 60 s) queues it again. Workers reconnect
# with their own CELERY_BROKER_CONNECTION_MAX_RETRIES (Celery's default, 100).
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BROKER_CONNECTION_TIMEOUT = 1.0
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 1.0,
    "socket_timeout": 1.0,
    "max_retries": 0,
    # A task taken by a worker that died (acks_late) is handed out again after this many seconds.
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
}
# Worker liveness for `python -m meldpunt.probe worker` (compose health check): the worker
# touches this file every WORKER_HEARTBEAT_SECONDS while connected. Empty: no heartbeat
# (production sets /tmp/meldpunt-worker-heartbeat).
WORKER_HEARTBEAT_FILE = env("WORKER_HEARTBEAT_FILE", default="")
WORKER_HEARTBEAT_SECONDS = env.int("WORKER_HEARTBEAT_SECONDS", default=10)
# Celery beat (run by the `beat` service; see docker-compose.yml). Times are Europe/Amsterdam.
CELERY_BEAT_SCHEDULE = {
    # The annual form for the previous year, after late registrations (Wga art. 3: before 1 April).
    "annual-statistics": {
        "task": "reports.tasks.run_scheduled_annual_statistics",
        "schedule": crontab(minute=0, hour=3, day_of_month=15, month_of_year=1),
    },
    # Re-queue e-mails whose delivery is due (broker was down, or a retry after a failure).
    "relay-outbox": {"task": "reports.tasks.relay_outbox", "schedule": 60.0},
    # Remove personal data from cases closed longer ago than RETENTION_YEARS.
    "retention": {
        "task": "reports.tasks.apply_retention",
        "schedule": crontab(minute=30, hour=2),
    },
    # The daily digest of overdue cases to each caseworker (issue 12 §3), Monday to Friday.
    "reminder-digests": {
        "task": "reports.tasks.send_reminder_digests",
        "schedule": crontab(minute=0, hour=7, day_of_week="mon-fri"),
    },
    # Forget rate-limit counters (hashed IP addresses) a day after their window ended.
    "purge-rate-limits": {
        "task": "reports.tasks.purge_rate_limits",
        "schedule": crontab(minute=15),
    },
}

# --- 15. Logging ---------------------------------------------------------------------------------
# Logs carry identifiers only, never report contents. LOG_FORMAT "plain" (readable lines) or
# "json" (one object per line with request_id, user_id and case_id; the production default).
# Security events always reach the log, whatever LOG_LEVEL says (meldpunt.logs.logging_config).
from meldpunt.logs import logging_config  # noqa: E402

LOGGING = logging_config(log_format=env("LOG_FORMAT", default="plain"),
                         level=env("LOG_LEVEL", default="INFO"))
