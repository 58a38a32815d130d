"""WSGI entry point for gunicorn.

Web requests run every SQL statement with ``DB_STATEMENT_TIMEOUT_SECONDS`` (see
``meldpunt.database``); management commands and Celery workers do not load this module.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "meldpunt.settings.production")

application = get_wsgi_application()

from django.conf import settings  # noqa: E402 - settings are configured now

from meldpunt.database import use_statement_timeout  # noqa: E402

use_statement_timeout(seconds=settings.DB_STATEMENT_TIMEOUT_SECONDS)
