"""The HTTP edge: trusted reverse proxies, security headers, ids out of range.

- ``LABTRACK_TRUSTED_PROXIES=N``: N proxies in front set ``X-Forwarded-For/-Proto/-Host``;
  werkzeug's ``ProxyFix`` takes the client address from them, so login and signature limits key on
  the real client (0, the default, trusts no header: a client could otherwise pick its address).
- Security headers by flask-talisman: a Content-Security-Policy with no inline script or style,
  ``frame-ancestors 'none'`` (the signing forms cannot be framed), nosniff, a strict
  Referrer-Policy, and HSTS on HTTPS requests.
- ``<int:...>`` in routes accepts only ids an INTEGER key column can hold (2**31 - 1); anything
  larger is a 404 before any query (PostgreSQL would refuse it with an error).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, request
from flask_talisman import Talisman
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1  # the primary keys are INTEGER columns (32 bits on PostgreSQL)

CSP: dict[str, Any] = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": ["'self'", "data:"],
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}

class _Talisman(Talisman):
    """Talisman that keeps a stricter Referrer-Policy a blueprint already set (the family inquiry
    pages send no-referrer: no address of a family's page leaks to other sites)."""

    def _set_referrer_policy_headers(self, headers: Any) -> None:
        headers.setdefault("Referrer-Policy", self.referrer_policy)


talisman = _Talisman()


class BoundedInt(IntegerConverter):
    """``<int:x>`` limited to 0..2**31-1: a larger number matches no route (404, never a 500)."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:  # noqa: A002 (werkzeug's name)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def _no_route_is_not_found() -> None:
    """Werkzeug answers 405 when a path matches another method's rule but for a converter that
    refused its value (``/api/v1/families/99999999999/power`` with POST: 405 "allowed: GET"). When
    no method's rule matches the path either, the answer is 404."""
    error = request.routing_exception
    if not (isinstance(error, MethodNotAllowed) and error.valid_methods):
        return
    adapter = current_app.create_url_adapter(request)
    try:
        if adapter is not None:
            adapter.match(method=next(m for m in error.valid_methods if m not in ("HEAD", "OPTIONS")))
    except NotFound:
        request.routing_exception = NotFound()
    except Exception:  # noqa: BLE001, S110 - another answer (a redirect, 405): werkzeug's stands  # nosec B110
        return


def install_converters(app: Flask) -> None:
    """Before any blueprint is registered."""
    app.url_map.converters["int"] = BoundedInt
    app.before_request_funcs.setdefault(None, []).insert(0, _no_route_is_not_found)


def init_app(app: Flask) -> None:
    proxies = int(app.config.get("TRUSTED_PROXIES", 0))
    if proxies > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)  # type: ignore[method-assign]
    talisman.init_app(
        app,
        force_https=False,  # the TLS proxy redirects; HSTS is sent on HTTPS requests
        strict_transport_security=True,
        strict_transport_security_max_age=31536000,
        content_security_policy=CSP,
        frame_options="DENY",
        referrer_policy="strict-origin-when-cross-origin",
        session_cookie_secure=bool(app.config.get("SESSION_COOKIE_SECURE", True)),
        session_cookie_http_only=True,
        x_content_type_options=True,
    )
