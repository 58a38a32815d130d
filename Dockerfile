# Production image for web, worker and beat (see docker-compose.yml).
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=meldpunt.settings.production
WORKDIR /app
COPY pyproject.toml README.md manage.py ./
COPY meldpunt ./meldpunt
COPY reports ./reports
COPY templates ./templates
COPY locale ./locale
RUN pip install --no-cache-dir . \
 && SECRET_KEY=build-only ALLOWED_HOSTS=build DATABASE_URL=sqlite:////tmp/build.db \
    CELERY_BROKER_URL=redis://build python manage.py collectstatic --noinput \
 && useradd --system --uid 1000 meldpunt
USER meldpunt
EXPOSE 8000
CMD ["gunicorn", "meldpunt.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
