"""Configuration: safe defaults, overridden by LABTRACK_* environment variables, overridden by a test dict."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

ENV_PREFIX = "LABTRACK_"


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def instance_secret(instance_path: Path, name: str = "secret_key") -> str:
    """Return the secret kept in the instance folder as ``name``, generating it on first run (mode 0600)."""
    path = instance_path / name
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def public_base_url(value: str | None) -> str:
    """The address families and verifiers reach labtrack at (``https://host[/prefix]``), without a
    trailing slash; empty means "the address of the request" (fine on a single host)."""
    value = (value or "").strip().rstrip("/")
    if value and not (value.startswith("https://") or value.startswith("http://")):
        raise ValueError(f"{ENV_PREFIX}PUBLIC_BASE_URL must start with https:// (or http://), not {value!r}")
    return value


def from_environment(instance_path: Path, environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Build the Flask config mapping from the environment (``LABTRACK_*``) with safe defaults."""
    env = os.environ if environ is None else environ
    development = env.get(ENV_PREFIX + "ENV", "production") == "development"
    database_url = env.get(ENV_PREFIX + "DATABASE_URL") or (
        f"sqlite:///{(instance_path / 'labtrack.sqlite').as_posix()}"
    )
    return {
        "LABTRACK_ENV": "development" if development else "production",
        "SECRET_KEY": env.get(ENV_PREFIX + "SECRET_KEY") or instance_secret(instance_path),
        "DATABASE_URL": database_url,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool(env.get(ENV_PREFIX + "SESSION_COOKIE_SECURE"), not development),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SECURE": _bool(env.get(ENV_PREFIX + "SESSION_COOKIE_SECURE"), not development),
        "PERMANENT_SESSION_LIFETIME": int(env.get(ENV_PREFIX + "SESSION_MINUTES", "480")) * 60,
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": int(env.get(ENV_PREFIX + "MAX_UPLOAD_MB", "64")) * 1024 * 1024,
        # how long a request waits for another connection's database lock before answering 503
        "DB_BUSY_SECONDS": float(env.get(ENV_PREFIX + "DB_BUSY_SECONDS", "10")),
        # reverse proxies in front that set X-Forwarded-For/-Proto/-Host (0: none, trust no header)
        "TRUSTED_PROXIES": int(env.get(ENV_PREFIX + "TRUSTED_PROXIES", "0")),
        "RATELIMIT_STORAGE_URI": env.get(ENV_PREFIX + "RATELIMIT_STORAGE_URI", "memory://"),
        "LOGIN_RATE_LIMIT": env.get(ENV_PREFIX + "LOGIN_RATE_LIMIT", "10 per minute"),
        "LOGIN_MAX_FAILURES": int(env.get(ENV_PREFIX + "LOGIN_MAX_FAILURES", "5")),
        "LOGIN_LOCKOUT_MINUTES": int(env.get(ENV_PREFIX + "LOGIN_LOCKOUT_MINUTES", "15")),
        # a session unused this long is logged out (the cookie's lifetime is SESSION_MINUTES)
        "IDLE_MINUTES": int(env.get(ENV_PREFIX + "IDLE_MINUTES", "30")),
        # signature and retraction password checks per client (counted apart from logins)
        "SIGNATURE_RATE_LIMIT": env.get(ENV_PREFIX + "SIGNATURE_RATE_LIMIT", "10 per minute"),
        "BABEL_DEFAULT_LOCALE": env.get(ENV_PREFIX + "DEFAULT_LOCALE", "en"),
        "LANGUAGES": ["en", "ar"],
        "MIN_SEARCH_LOCI": int(env.get(ENV_PREFIX + "MIN_SEARCH_LOCI", "12")),
        "IDENTIFICATION_THRESHOLD": float(env.get(ENV_PREFIX + "IDENTIFICATION_THRESHOLD", "0.9995")),
        "DASK_SCHEDULER": env.get(ENV_PREFIX + "DASK_SCHEDULER", ""),
        # threads of an in-process match run (0: one per CPU core); results never depend on it
        "MATCH_THREADS": int(env.get(ENV_PREFIX + "MATCH_THREADS", "0")),
        # the worker keeps the family tables of its last run for the next run with the same families
        "MATCH_TABLE_CACHE": _bool(env.get(ENV_PREFIX + "MATCH_TABLE_CACHE"), True),
        # the lab's default kinship models of a match run (each run may choose others): real bone
        # mutates and drops alleles, so both are on by default
        "MUTATION_MODEL": env.get(ENV_PREFIX + "MUTATION_MODEL", "stepwise"),
        "MUTATION_RATE": float(env.get(ENV_PREFIX + "MUTATION_RATE", "0.002")),
        "DROPOUT": float(env.get(ENV_PREFIX + "DROPOUT", "0.05")),
        "DROPIN": float(env.get(ENV_PREFIX + "DROPIN", "0.0")),
        # the minimum of evidence before an identification can be proposed (loci compared, and a
        # typed parent or child or two full siblings): a strong LR from a weak family is not proof
        "EVIDENCE_RULE": _bool(env.get(ENV_PREFIX + "EVIDENCE_RULE"), True),
        "EVIDENCE_MIN_LOCI": int(env.get(ENV_PREFIX + "EVIDENCE_MIN_LOCI", "12")),
        # ... and at most this many unrelated remains of the lab expected to reach the candidate's
        # LR by chance against the family's references (labtrack.kinship.false_positive)
        "EVIDENCE_MAX_EXPECTED_FALSE_POSITIVES": float(
            env.get(ENV_PREFIX + "EVIDENCE_MAX_EXPECTED_FALSE_POSITIVES", "0.01")),
        # the job worker (labtrack worker): how often it looks for work, beats, and when a silent
        # worker's job is taken back; JOBS_INLINE runs queued jobs in the process that queued
        # them (tests, a one-process demo), never in production
        "WORKER_POLL_SECONDS": float(env.get(ENV_PREFIX + "WORKER_POLL_SECONDS", "1")),
        "WORKER_HEARTBEAT_SECONDS": float(env.get(ENV_PREFIX + "WORKER_HEARTBEAT_SECONDS", "5")),
        "WORKER_STALE_SECONDS": float(env.get(ENV_PREFIX + "WORKER_STALE_SECONDS", "60")),
        "JOBS_INLINE": _bool(env.get(ENV_PREFIX + "JOBS_INLINE"), False),
        # the dashboard shows figures the worker computed; a view of figures older than this
        # queues a new computation (services/dashboard_snapshot.py)
        "DASHBOARD_MAX_AGE_SECONDS": float(env.get(ENV_PREFIX + "DASHBOARD_MAX_AGE_SECONDS", "300")),
        # continuous matching: new profiles, pedigree and consent changes queue the comparisons they touch
        "CONTINUOUS_MATCHING": _bool(env.get(ENV_PREFIX + "CONTINUOUS_MATCHING"), True),
        "LAB_NAME": env.get(ENV_PREFIX + "LAB_NAME", "labtrack DNA identification laboratory"),
        "LAB_CONTACT": env.get(ENV_PREFIX + "LAB_CONTACT", ""),  # printed on family notification reports
        # printed in QR codes and links that leave the building (inquiry receipts)
        "PUBLIC_BASE_URL": public_base_url(env.get(ENV_PREFIX + "PUBLIC_BASE_URL")),
        # families' inquiry page: the server key of the code hashes (default: instance/inquiry_key),
        # scrypt cost, request rate per client, lockouts, how long a page stays open
        "INQUIRY_KEY": env.get(ENV_PREFIX + "INQUIRY_KEY", ""),
        # the audit chain's HMAC key and its checkpoint file, both outside the database
        "AUDIT_KEY": env.get(ENV_PREFIX + "AUDIT_KEY") or instance_secret(instance_path, "audit_key"),
        "AUDIT_CHECKPOINT_FILE": env.get(ENV_PREFIX + "AUDIT_CHECKPOINT_FILE")
        or str(instance_path / "audit-checkpoints.jsonl"),
        "INQUIRY_SCRYPT_N": int(env.get(ENV_PREFIX + "INQUIRY_SCRYPT_N", "16384")),
        "INQUIRY_RATE_LIMIT": env.get(ENV_PREFIX + "INQUIRY_RATE_LIMIT", "5 per minute;30 per hour"),
        "INQUIRY_MAX_FAILURES": int(env.get(ENV_PREFIX + "INQUIRY_MAX_FAILURES", "5")),
        "INQUIRY_LOCKOUT_MINUTES": int(env.get(ENV_PREFIX + "INQUIRY_LOCKOUT_MINUTES", "15")),
        "INQUIRY_CLIENT_MAX_FAILURES": int(env.get(ENV_PREFIX + "INQUIRY_CLIENT_MAX_FAILURES", "20")),
        "INQUIRY_SESSION_MINUTES": int(env.get(ENV_PREFIX + "INQUIRY_SESSION_MINUTES", "20")),
    }
