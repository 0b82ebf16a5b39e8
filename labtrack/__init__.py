"""labtrack: forensic DNA identification tracker. ``create_app()`` only wires things together."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the pure core (labtrack.kinship, labtrack.core.ids) must not import Flask
    from flask import Flask

from labtrack.version import __version__  # noqa: F401  (re-exported)

_ROOT = Path(__file__).resolve().parent


def _templates_folder() -> str:
    """``labtrack/templates``: in a checkout a symlink to the top-level ``templates/``; in an
    installed wheel the packaged copy (pyproject package-data)."""
    return str(_ROOT / "templates")


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Application factory: config → database → extensions and blueprints → error handlers."""
    import os

    from flask import Flask

    from labtrack import config
    from labtrack.services import audit, continuous, name_index
    from labtrack.web import init_app as init_web

    app = Flask(__name__, template_folder=_templates_folder(), instance_relative_config=True,
                instance_path=os.environ.get("LABTRACK_INSTANCE_PATH") or None)
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    environ = dict(os.environ)
    for secret in ("SECRET_KEY", "AUDIT_KEY"):  # given keys: nothing generated in the instance folder
        if test_config and secret in test_config:
            environ["LABTRACK_" + secret] = str(test_config[secret])
    app.config.update(config.from_environment(instance, environ))
    if test_config:
        app.config.update(test_config)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(_ROOT / "translations"))
    audit.install_hook()
    name_index.install_hook()
    init_web(app)
    continuous.init_app(app)
    from labtrack.cli import init_app as init_cli

    init_cli(app)
    return app
