"""The verifier registry: decorator registration and the `reasoner.verifiers` entry points."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from verifiers import Verdict, VerifierPool, get_verifier, list_verifiers, register, registry

PLUGIN = Path(__file__).resolve().parent / "fixtures" / "plugin_example"


@pytest.fixture
def clean_registry(monkeypatch):
    """Registrations made by a test are undone afterwards."""
    monkeypatch.setattr(registry, "_FACTORIES", dict(registry._FACTORIES))
    monkeypatch.setattr(registry, "_ORIGINS", dict(registry._ORIGINS))
    return registry


def test_builtins_are_listed():
    names = list_verifiers()
    for name in ("numeric", "math", "gsm8k", "aime"):
        assert name in names


def test_decorator_function_and_class(clean_registry):
    @register("always_one_test")
    def always_one(response, ground_truth, **meta):
        return Verdict(1.0, True)

    @register("prefix_test")
    class Prefix:
        def __init__(self, prefix: str = "A") -> None:
            self.prefix = prefix

        def __call__(self, response, ground_truth, **meta):
            ok = response.startswith(self.prefix)
            return Verdict(float(ok), ok)

    assert get_verifier("always_one_test")("x", None).score == 1.0
    assert get_verifier("prefix_test", prefix="B")("Bx", None).correct
    assert not get_verifier("prefix_test")("Bx", None).correct
    with pytest.raises(TypeError):
        get_verifier("always_one_test", bogus=1)


def test_unknown_name_lists_the_registered_ones():
    with pytest.raises(KeyError, match="math"):
        get_verifier("no_such_verifier_xyz")


def _fake_install(root: Path) -> None:
    """What `pip install` leaves on disk: the module and a dist-info with entry_points.txt."""
    shutil.copytree(PLUGIN / "src" / "reasoner_plugin_example", root / "reasoner_plugin_example")
    dist = root / "reasoner_plugin_example-0.1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: reasoner-plugin-example\nVersion: 0.1.0\n")
    (dist / "entry_points.txt").write_text(
        "[reasoner.verifiers]\nyesno = reasoner_plugin_example:YesNoVerifier\n")


def _check_plugin_works() -> None:
    v = get_verifier("yesno")
    assert type(v).__module__ == "reasoner_plugin_example"
    good = v("Thinking... so the answer is Yes", "yes")
    assert good.correct and good.score == 1.0 and good.extracted == "yes"
    assert not v("no", "yes").correct
    assert get_verifier("yesno", partial=0.25)("unsure", "yes").score == 0.25
    assert "yesno" in list_verifiers()


def test_entry_point_plugin_found_after_first_scan(tmp_path, monkeypatch, clean_registry):
    list_verifiers()  # the registry has scanned entry points already...
    _fake_install(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))  # ...then the plugin gets installed
    monkeypatch.delitem(sys.modules, "reasoner_plugin_example", raising=False)
    _check_plugin_works()


def test_entry_point_plugin_runs_in_pool_workers(tmp_path, monkeypatch, clean_registry):
    _fake_install(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "reasoner_plugin_example", raising=False)
    with VerifierPool("yesno", workers=1, timeout_s=60) as pool:
        out = pool.map([("yes", "yes"), ("no", "yes"), ("maybe", "no")])
    assert [v.correct for v in out] == [True, False, False]
    assert out[2].reason == "no yes/no answer"


def test_broken_plugin_warns_and_does_not_hide_others(tmp_path, monkeypatch, clean_registry):
    dist = tmp_path / "broken_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[reasoner.verifiers]\nbroken = no_such_module_xyz:V\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.warns(UserWarning, match="broken"):
        registry._load_entry_points(rescan=True)
    assert "math" in list_verifiers()


@pytest.mark.slow
def test_pip_installed_plugin(tmp_path, monkeypatch, clean_registry):
    """A real `pip install` of the example plugin (no network: no deps, no build isolation)."""
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--target", str(target), str(PLUGIN)], check=True)
    monkeypatch.syspath_prepend(str(target))
    monkeypatch.delitem(sys.modules, "reasoner_plugin_example", raising=False)
    _check_plugin_works()
