"""What the family page and the coordinators' code pages share: the secret hasher (one per app,
its server key outside the database), the lockout policy, public URLs and the client address."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import current_app, request, url_for

from labtrack.config import instance_secret
from labtrack.core.inquiry_codes import SecretHasher
from labtrack.services.inquiry_access import LockoutPolicy

_HASHER_KEY = "labtrack.inquiry_hasher"


def hasher() -> SecretHasher:
    """The app's hasher. Key: ``LABTRACK_INQUIRY_KEY`` or ``<instance>/inquiry_key`` (generated
    on first use, mode 0600). Its decoy is computed here, before any family request needs it."""
    cached: SecretHasher | None = current_app.extensions.get(_HASHER_KEY)
    if cached is None:
        key = current_app.config.get("INQUIRY_KEY") or instance_secret(Path(current_app.instance_path), "inquiry_key")
        cached = SecretHasher(key.encode("utf-8"), n=int(current_app.config["INQUIRY_SCRYPT_N"]))
        _ = cached.decoy
        current_app.extensions[_HASHER_KEY] = cached
    return cached


def policy() -> LockoutPolicy:
    config = current_app.config
    return LockoutPolicy(per_code=int(config["INQUIRY_MAX_FAILURES"]),
                         code_window=timedelta(minutes=int(config["INQUIRY_LOCKOUT_MINUTES"])),
                         per_client=int(config["INQUIRY_CLIENT_MAX_FAILURES"]))


def public_url(endpoint: str, **values: Any) -> str:
    """An absolute URL for paper and QR codes: ``LABTRACK_PUBLIC_BASE_URL`` + the path, or the
    address of this request when no public address is configured."""
    base = current_app.config.get("PUBLIC_BASE_URL", "")
    if not base:
        return url_for(endpoint, _external=True, **values)
    path = url_for(endpoint, **values)
    root = request.script_root if request else ""
    return base + (path[len(root):] if root and path.startswith(root) else path)


def client_address() -> str:
    """The client's address as the rate limiter sees it (behind a proxy, configure it to pass
    the real address on, or every family shares one limit)."""
    return request.remote_addr or ""
