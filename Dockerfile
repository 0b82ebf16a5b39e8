# labtrack production image: waitress on :8000 and the job worker, migrations at start, data in /data.
#   docker build -t labtrack .
#   docker run -v labtrack-data:/data -p 8000:8000 labtrack
# See README "Container image" (PostgreSQL keys, a separate migration step, web-only replicas).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    LABTRACK_INSTANCE_PATH=/data \
    LABTRACK_DATABASE_URL=sqlite:////data/labtrack.sqlite \
    LABTRACK_ENV=production \
    NUMBA_CACHE_DIR=/var/cache/labtrack/numba

WORKDIR /app

# 1. The dependencies, in a layer of their own: exactly the pinned versions of requirements.lock,
#    each checked against its SHA-256 (rebuilt only when the lock changes, not at every change of
#    the code; scripts/lock.sh regenerates it from pyproject.toml).
COPY pyproject.toml requirements.lock ./
RUN pip install --require-hashes --no-deps -r requirements.lock

# 2. labtrack itself, installed as a wheel (not editable: templates, fixtures, migrations and
#    translations are package data), then the source is removed from /app.
COPY README.md LICENSE ./
COPY labtrack ./labtrack
COPY templates ./templates
COPY fixtures ./fixtures
RUN pip install --no-deps . \
    && rm -rf labtrack templates fixtures build requirements.lock \
    && useradd --system --uid 10001 --home /data labtrack \
    && mkdir -p /data /var/cache/labtrack/numba \
    && chown labtrack /data /var/cache/labtrack/numba
COPY scripts/docker-start.sh /usr/local/bin/labtrack-start

USER labtrack
# /data holds the evidence (SQLite database, keys, audit checkpoints, artifacts); the Numba cache
# is kept out of it (/var/cache/labtrack/numba, rebuilt when missing).
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
# labtrack-start (scripts/docker-start.sh) is PID 1: it migrates (LABTRACK_MIGRATE=0 to skip), runs
# the job worker and waitress side by side, and passes SIGTERM on to both at once, so `docker stop`
# ends the container at once instead of a SIGKILL after the timeout. Put TLS in front (a reverse
# proxy); session cookies are Secure.
STOPSIGNAL SIGTERM
CMD ["sh", "/usr/local/bin/labtrack-start"]
