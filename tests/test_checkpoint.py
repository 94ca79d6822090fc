"""Checkpoints are atomic: a crash mid-write leaves the last good one intact."""

import pytest
import torch

from reasoner.train import checkpoint as ckpt


class _Saver:
    def __init__(self, tag: str) -> None:
        self.tag = tag

    def save_pretrained(self, path, **_):
        path.mkdir(parents=True, exist_ok=True)
        (path / f"{self.tag}.txt").write_text(self.tag)


def test_crash_mid_write_keeps_last_good(tmp_path, monkeypatch):
    ckpt.save_checkpoint(tmp_path, 1, _Saver("one"), _Saver("tok"), {"x": 1})
    real_save = torch.save

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", boom)
    with pytest.raises(OSError, match="disk full"):
        ckpt.save_checkpoint(tmp_path, 2, _Saver("two"), _Saver("tok"), {"x": 2})
    monkeypatch.setattr(torch, "save", real_save)
    root = tmp_path / "checkpoints"
    assert (root / "latest").read_text().strip() == "step_000001"
    assert not (root / "step_000002").exists()
    assert not [p for p in root.iterdir() if p.name.startswith(".")]  # no temp dirs left
    found = ckpt.find_checkpoint(True, tmp_path)
    assert (found / "policy" / "one.txt").read_text() == "one"
    assert ckpt.load_state(found)["x"] == 1


def test_keep_prunes_and_resume_errors(tmp_path):
    for step in (1, 2, 3):
        ckpt.save_checkpoint(tmp_path, step, _Saver(str(step)), _Saver("t"), {}, keep=2)
    names = sorted(p.name for p in (tmp_path / "checkpoints").glob("step_*"))
    assert names == ["step_000002", "step_000003"]
    assert ckpt.find_checkpoint(False, tmp_path) is None
    assert ckpt.find_checkpoint(True, tmp_path / "nothing-here") is None
    with pytest.raises(FileNotFoundError, match="not a complete checkpoint"):
        ckpt.find_checkpoint(str(tmp_path / "missing"), tmp_path)
