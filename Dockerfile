# The help desk as one image: gunicorn serving Django, static files by WhiteNoise.
# Build: docker build -t helpdesk .    Run: see docs/deployment.md and docker-compose.yml.

# --- build: dependencies from uv.lock, then static files -------------------------
FROM python:3.13-slim AS build

ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN pip install --no-cache-dir uv==0.13.9

WORKDIR /app

# Dependencies first, so code changes do not reinstall them: exactly the locked
# versions (--frozen), without the dev group.
COPY pyproject.toml uv.lock .python-version ./
RUN uv sync --frozen --no-dev --no-install-project

COPY . .

# Hashed, compressed static files (WhiteNoise's CompressedManifestStaticFilesStorage,
# the default when DJANGO_DEBUG is off). The key is only for this one command.
RUN DJANGO_SECRET_KEY=collectstatic-at-build-time-only \
    /app/.venv/bin/python manage.py collectstatic --noinput

# --- runtime: the same Python, the built /app, a non-root user --------------------
FROM python:3.13-slim AS runtime

ENV PATH="/app/.venv/bin:$PATH" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DJANGO_SETTINGS_MODULE=helpdesk.settings \
    SQLITE_PATH=/data/db.sqlite3 \
    PORT=8000

RUN groupadd --system --gid 10001 helpdesk \
    && useradd --system --uid 10001 --gid helpdesk --no-create-home --home-dir /app helpdesk \
    && mkdir /data \
    && chown helpdesk:helpdesk /data

WORKDIR /app
# Code stays owned by root (read-only to the app); only /data is writable.
COPY --from=build /app /app

USER 10001:10001

# SQLite's database file lives here when DATABASE_URL is not set.
VOLUME ["/data"]
EXPOSE 8000

# No curl in slim images: a few lines of Python ask /healthz.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "/app/docker/healthcheck.py"]

# Start-up applies migrations and loads the guides, then runs gunicorn with
# sync workers sized from the CPUs (gunicorn.conf.py).
ENTRYPOINT ["/app/docker/entrypoint.sh"]
CMD ["gunicorn", "--config", "/app/gunicorn.conf.py"]
