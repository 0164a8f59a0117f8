# syntax=docker/dockerfile:1
# Production image: the same commands as the Makefile (`make assets`, pip install, collectstatic, gunicorn).

# --- Front-end assets: Designsystemet CSS, htmx and axe-core from npm, pinned in package-lock.json ---
FROM node:20-bookworm AS assets
WORKDIR /build
COPY Makefile package.json package-lock.json ./
# `make assets` = npm ci + copying the vendor files into static/vendor/ (see the Makefile).
RUN make assets

# --- Application ---
FROM python:3.11-slim-bookworm AS app
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
# Pango and HarfBuzz for weasyprint (PDF handouts), a font family for the PDFs.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*
RUN useradd --system --create-home --uid 10001 --shell /usr/sbin/nologin app

WORKDIR /app
COPY requirements.txt ./
RUN pip install -r requirements.txt
COPY . .
COPY --from=assets /build/static/vendor/ static/vendor/
# collectstatic needs settings but no secrets: throwaway values that exist only in this build step.
RUN DEBUG=false SECRET_KEY=build-time-only-not-a-secret PSEUDONYM_KEY=build-time-only-not-a-secret \
    python manage.py collectstatic --noinput \
 && mkdir -p var && chown app:app var

USER app
ENV BIND=0.0.0.0:8000
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
  CMD ["python", "-m", "config.healthcheck"]
CMD ["sh", "-c", "exec gunicorn -c config/gunicorn.conf.py config.wsgi"]
