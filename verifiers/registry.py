"""The verifier registry: decorator registration plus the `reasoner.verifiers` entry points.

A verifier is registered as a *factory*: ``factory(**options) -> Verifier``. A plain
function ``verify(response, ground_truth, **meta)`` may be registered directly; it is
wrapped in a factory that takes no options.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from importlib import metadata
from typing import Any

from verifiers.base import Verifier

ENTRY_POINT_GROUP = "reasoner.verifiers"

_FACTORIES: dict[str, Callable[..., Verifier]] = {}
_ORIGINS: dict[str, str] = {}  # name -> module that registered it (pool workers import it)
_entry_points_loaded = False


def register(name: str, *, factory: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a verifier under ``name``.

    With ``factory=False`` (default) the decorated object is the verifier itself
    (a function or a class whose instances are verifiers and whose constructor takes
    the options). With ``factory=True`` the decorated callable builds a verifier from
    options.
    """

    def deco(obj: Callable[..., Any]) -> Callable[..., Any]:
        _ORIGINS[name] = getattr(obj, "__module__", None) or ""
        if inspect.isclass(obj) or factory:
            _FACTORIES[name] = obj
        else:
            def _factory(**options: Any) -> Verifier:
                if options:
                    raise TypeError(f"verifier {name!r} takes no options, got {sorted(options)}")
                return obj

            _FACTORIES[name] = _factory
        return obj

    return deco


def _load_entry_points(rescan: bool = False) -> None:
    """Register every plugin of the ``reasoner.verifiers`` entry-point group.

    Scans once; ``rescan=True`` looks again (a plugin installed after the first scan,
    e.g. by ``pip install`` in a running notebook, is then found).
    """
    global _entry_points_loaded
    if _entry_points_loaded and not rescan:
        return
    _entry_points_loaded = True
    if rescan:
        import importlib

        importlib.invalidate_caches()
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in _FACTORIES:
            continue
        try:
            obj = ep.load()
        except Exception as exc:  # noqa: BLE001 - a broken plugin must not hide the others
            import warnings

            warnings.warn(f"verifier plugin {ep.name!r} ({ep.value}) failed to load: {exc}", stacklevel=2)
            continue
        if ep.name not in _FACTORIES:  # importing may already have registered it
            register(ep.name)(obj)


def _load_builtins() -> None:
    # Importing the modules registers them. Kept lazy so `import verifiers` is cheap.
    import verifiers.builtin  # noqa: F401


def get_verifier(name: str, **options: Any) -> Verifier:
    """Return the verifier registered as ``name``, built with ``options``."""
    _load_builtins()
    if name not in _FACTORIES:
        _load_entry_points(rescan=_entry_points_loaded)
    if name not in _FACTORIES:
        raise KeyError(f"unknown verifier {name!r}; registered: {', '.join(list_verifiers())}")
    return _FACTORIES[name](**options)


def origin_module(name: str) -> str | None:
    """The module whose import registers ``name`` (None if unknown or ``__main__``)."""
    mod = _ORIGINS.get(name)
    return None if not mod or mod == "__main__" else mod


def list_verifiers() -> list[str]:
    """Names of all registered verifiers (builtins and installed plugins)."""
    _load_builtins()
    _load_entry_points()
    return sorted(_FACTORIES)
