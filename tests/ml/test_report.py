"""Reports are written whole or not at all (nulearn.ml.report)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from nulearn.ml.report import Report, pyplot


def _report(fail: bool = False) -> Report:
    plt = pyplot()
    rep = Report("demo")
    rep.table(pd.DataFrame({"a": [1.0]}))
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    rep.figure(fig, "line")
    if fail:
        broken, _ = plt.subplots()

        def full_disk(*args: object, **kwargs: object) -> None:
            raise OSError(28, "No space left on device")

        broken.savefig = full_disk
        rep.figure(broken, "broken")
    return rep


def test_write_puts_figures_and_markdown_in_place(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    path = _report().write(tmp_path)
    assert path == tmp_path / "report.md" and "figures/line.png" in path.read_text()
    assert (tmp_path / "figures" / "line.png").is_file()
    assert (tmp_path / "keep.txt").read_text() == "mine"  # other files in the folder stay
    assert not list(tmp_path.glob(".report.md.partial-*"))


def test_a_failed_write_leaves_nothing_behind(tmp_path: Path) -> None:
    out = tmp_path / "new" / "report"
    with pytest.raises(OSError, match="No space left"):
        _report(fail=True).write(out)
    assert not (tmp_path / "new").exists()
    existing = tmp_path / "old"
    existing.mkdir()
    with pytest.raises(OSError):
        _report(fail=True).write(existing)
    assert list(existing.iterdir()) == []
