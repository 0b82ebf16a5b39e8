"""A non-editable install works: templates and fixtures are package data (pyproject), and the app
run from an installed copy of the package (no checkout beside it) renders its pages from the
packaged templates and finds its fixtures there."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_templates_and_fixtures_are_declared_package_data() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    data = config["tool"]["setuptools"]["package-data"]["labtrack"]
    assert {"templates/**/*", "fixtures/**/*"} <= set(data)
    for name in ("templates", "fixtures"):  # in the checkout: symlinks to the top-level folders
        packaged = ROOT / "labtrack" / name
        assert packaged.is_symlink() and packaged.resolve() == (ROOT / name).resolve()


def test_the_app_runs_from_an_installed_copy_without_the_checkout(tmp_path: Path) -> None:
    site = tmp_path / "site"
    # what a wheel holds: the package with its data, symlinks resolved (no templates/ beside it)
    shutil.copytree(ROOT / "labtrack", site / "labtrack", symlinks=False,
                    ignore=shutil.ignore_patterns("__pycache__"))
    script = (
        "import labtrack, pathlib\n"
        "from labtrack.fixtures_path import fixtures_dir\n"
        "from labtrack.db import create_schema, get_engine\n"
        "url = 'sqlite:///' + str(pathlib.Path('t.sqlite').resolve())\n"
        "app = labtrack.create_app({'TESTING': True, 'DATABASE_URL': url,"
        " 'SECRET_KEY': 'x', 'AUDIT_KEY': 'k', 'INQUIRY_KEY': 'k', 'WTF_CSRF_ENABLED': False})\n"
        "create_schema(get_engine(app))\n"
        "page = app.test_client().get('/login')\n"
        "print(labtrack.__file__)\n"
        "print(app.template_folder)\n"
        "print((fixtures_dir() / 'demo' / 'demo.json').is_file())\n"
        "print(page.status_code, '<form' in page.get_data(as_text=True))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(site), "LABTRACK_INSTANCE_PATH": str(tmp_path / "instance")}
    env.pop("LABTRACK_FIXTURES_DIR", None)
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    module, templates, fixtures, page = result.stdout.strip().splitlines()[-4:]
    assert module.startswith(str(site)) and templates.startswith(str(site))
    assert fixtures == "True" and page == "200 True"
