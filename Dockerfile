# labtrack production image: waitress on :8000, migrations at start, data in /data.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    LABTRACK_INSTANCE_PATH=/data \
    LABTRACK_DATABASE_URL=sqlite:////data/labtrack.sqlite \
    LABTRACK_ENV=production \
    NUMBA_CACHE_DIR=/data/.numba-cache

WORKDIR /app
COPY pyproject.toml README.md ./
COPY labtrack ./labtrack
COPY templates ./templates
COPY fixtures ./fixtures
COPY scripts/docker-start.sh ./docker-start.sh
RUN pip install -e . \
    && useradd --system --uid 10001 --home /data labtrack \
    && mkdir -p /data && chown labtrack /data

USER labtrack
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
# Apply migrations, then run the job worker (labtrack worker) and the web server (waitress) side by
# side (docker-start.sh). Put TLS in front (reverse proxy); session cookies are Secure.
CMD ["sh", "/app/docker-start.sh"]
