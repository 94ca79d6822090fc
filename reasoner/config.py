"""Locate the Hydra config directory and compose configs programmatically (tests, demo).

The configs live in the top-level ``conf/`` of the source tree and are installed as the
package ``reasoner.conf``; `config_dir` finds whichever is present.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any


def config_dir() -> str:
    """Absolute path of the config directory (installed package data or source checkout)."""
    src = Path(__file__).resolve().parents[1] / "conf"
    if (src / "train.yaml").exists():
        return str(src)
    try:
        # conf/ has no __init__.py: files() of a namespace package is a MultiplexedPath, whose
        # str() is not a path; the file inside it is a real one
        train = resources.files("reasoner.conf").joinpath("train.yaml")
        if train.is_file():
            return str(Path(str(train)).parent)
    except ModuleNotFoundError:
        pass
    raise FileNotFoundError("reasoner's config directory (conf/) was not found; reinstall the package")


def to_plain(cfg: Any) -> dict[str, Any]:
    """A resolved plain-dict copy of an OmegaConf config (drops the `hydra` node)."""
    from omegaconf import OmegaConf

    out = OmegaConf.to_container(cfg, resolve=True)
    assert isinstance(out, dict)
    out.pop("hydra", None)
    return out


def compose(name: str, overrides: list[str] | None = None) -> dict[str, Any]:
    """Compose ``conf/<name>.yaml`` with Hydra overrides into a plain dict."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=config_dir(), version_base=None):
        cfg = hydra_compose(config_name=name, overrides=list(overrides or []))
    return to_plain(cfg)
