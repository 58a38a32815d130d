# Production image for web, worker and beat (see docker-compose.yml).
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=meldpunt.settings.production
WORKDIR /app
# Dependencies first, exactly as requirements/main.lock pins them (each file checked against its
# hash), in their own layer; then the project itself without resolving anything.
COPY requirements/main.lock ./requirements/
RUN pip install --no-cache-dir --require-hashes -r requirements/main.lock
COPY pyproject.toml README.md manage.py ./
COPY meldpunt ./meldpunt
COPY reports ./reports
COPY templates ./templates
COPY locale ./locale
# collectstatic needs the production settings to load: build-only values, no connection is made
# (tests/meldpunt/test_deployment.py runs this exact command).
RUN pip install --no-cache-dir --no-deps . \
 && SECRET_KEY=build-only-not-a-secret-0123456789-0123456789-0123456789 ALLOWED_HOSTS=build \
    DATABASE_URL=postgres://build@127.0.0.1:5432/build CELERY_BROKER_URL=redis://build \
    FIELD_ENCRYPTION_KEYS=YnVpbGQtb25seS1ub3QtYS1zZWNyZXQtMDEyMzQ1Njc= \
    python manage.py collectstatic --noinput \
 && useradd --system --uid 1000 meldpunt \
 && mkdir -p /app/var/private /app/var/media /app/var/beat \
 && chown -R meldpunt /app/var
USER meldpunt
EXPOSE 8000
CMD ["gunicorn", "meldpunt.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--worker-class", "gthread", "--threads", "4", "--timeout", "30"]
