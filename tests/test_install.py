"""A non-editable install finds its Hydra configs (shipped as package data ``reasoner.conf``).

Builds a wheel from a copy of the source tree, installs it into a fresh target directory,
and, in a subprocess whose working directory is not the checkout, composes configs and runs
the ``reasoner-demo`` entry point far enough to print its composed job config.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SKIP = shutil.ignore_patterns(".git", "outputs", "build", "dist", "*.egg-info", "__pycache__", ".venv*", ".ruff_cache",
                              ".pytest_cache")

PROBE = """
import sys
from pathlib import Path
import reasoner, reasoner.config as c
site = Path(sys.argv[1]).resolve()
assert Path(reasoner.__file__).resolve().is_relative_to(site), reasoner.__file__
conf = Path(c.config_dir()).resolve()
assert conf.is_relative_to(site), conf
cfg = c.compose("demo", ["seed=3"])
assert cfg["algo"]["name"] == "grpo" and cfg["seed"] == 3 and cfg["model"]["path"] == "builtin:tiny", cfg["algo"]
assert c.compose("eval", ["benchmark=gsm8k"])["benchmark"]["name"] == "gsm8k"
from reasoner.cli import demo
sys.argv = ["reasoner-demo", "--cfg", "job", "algo=dr_grpo"]
demo()
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("install")
    src = tmp / "src"
    shutil.copytree(ROOT, src, ignore=SKIP)
    run = dict(capture_output=True, text=True, timeout=300)
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                            "-w", str(tmp / "wheel"), str(src)], **run)
    if built.returncode != 0:
        pytest.fail(f"building the wheel failed:\n{built.stdout}\n{built.stderr}")
    wheel = next((tmp / "wheel").glob("reasoner-*.whl"))
    site = tmp / "site"
    inst = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q",
                           "--target", str(site), str(wheel)], **run)
    if inst.returncode != 0:
        pytest.fail(f"installing the wheel failed:\n{inst.stdout}\n{inst.stderr}")
    return site


def test_wheel_ships_every_config(installed):
    shipped = {p.relative_to(installed / "reasoner" / "conf").as_posix()
               for p in (installed / "reasoner" / "conf").rglob("*.yaml")}
    in_tree = {p.relative_to(ROOT / "conf").as_posix() for p in (ROOT / "conf").rglob("*.yaml")}
    assert shipped == in_tree


def test_installed_package_composes_configs_outside_the_checkout(installed, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(installed)}
    out = subprocess.run([sys.executable, "-c", PROBE, str(installed)], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "name: dr_grpo" in out.stdout  # the entry point composed demo.yaml + the algo group
