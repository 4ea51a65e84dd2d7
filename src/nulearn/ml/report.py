"""Self-contained Markdown reports with PNG figures, shared by every pillar.

A :class:`Report` collects headings, prose, tables and matplotlib figures and writes
``<out_dir>/report.md`` with the figures beside it in ``<out_dir>/figures/``.

>>> import pandas as pd
>>> r = Report("demo")
>>> r.table(pd.DataFrame({"model": ["lr"], "accuracy": [0.9123]}))
>>> "| lr | 0.9123 |" in r.markdown()
True
"""

from __future__ import annotations

import datetime as _dt
import platform
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["Report", "markdown_table", "pyplot"]


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the non-interactive Agg backend (figures are only ever saved).

    Imported on first use: matplotlib is slow to import and only reports need it.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def _fmt(value: Any, floatfmt: str) -> str:
    if isinstance(value, float):
        return format(value, floatfmt)
    return str(value)


def markdown_table(frame: pd.DataFrame, floatfmt: str = ".4g", index: bool = False) -> str:
    """Render a DataFrame as a GitHub-flavoured Markdown table."""
    df = frame.reset_index() if index else frame
    header = "| " + " | ".join(str(c) for c in df.columns) + " |"
    rule = "|" + "|".join("---" for _ in df.columns) + "|"
    rows = [
        "| " + " | ".join(_fmt(v, floatfmt) for v in row) + " |"
        for row in df.itertuples(index=False)
    ]
    return "\n".join([header, rule, *rows])


class Report:
    """An ordered list of Markdown blocks with figures, written to one folder.

    Args:
        title: top-level heading.
    """

    def __init__(self, title: str) -> None:
        self.title = title
        self._blocks: list[str] = []
        self._figures: list[tuple[str, Any]] = []

    def heading(self, text: str, level: int = 2) -> None:
        """Add a heading (level 2 = section)."""
        self._blocks.append("#" * level + " " + text)

    def text(self, markdown: str) -> None:
        """Add a paragraph of Markdown."""
        self._blocks.append(markdown.strip())

    def bullets(self, items: Sequence[str]) -> None:
        """Add a bulleted list."""
        self._blocks.append("\n".join(f"- {i}" for i in items))

    def table(self, frame: pd.DataFrame, caption: str | None = None, floatfmt: str = ".4g") -> None:
        """Add a table, optionally with an italic caption above it."""
        if caption:
            self._blocks.append(f"*{caption}*")
        self._blocks.append(markdown_table(frame, floatfmt=floatfmt))

    def figure(self, fig: Any, name: str, caption: str = "") -> None:
        """Add a matplotlib figure; it is saved as ``figures/<name>.png`` on :meth:`write`."""
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
        self._figures.append((slug, fig))
        self._blocks.append(
            f"![{caption or slug}](figures/{slug}.png)" + (f"\n\n*{caption}*" if caption else "")
        )

    def markdown(self) -> str:
        """The report's Markdown text."""
        stamp = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        head = f"# {self.title}\n\n*Generated {stamp} on {platform.node() or 'unknown host'} ({platform.machine()}).*"
        return "\n\n".join([head, *self._blocks]) + "\n"

    def write(self, out_dir: str | Path, filename: str = "report.md") -> Path:
        """Write the Markdown and the figures; returns the path of the Markdown file."""
        import matplotlib.pyplot as plt

        out = Path(out_dir)
        (out / "figures").mkdir(parents=True, exist_ok=True)
        for slug, fig in self._figures:
            fig.savefig(out / "figures" / f"{slug}.png", dpi=110, bbox_inches="tight")
            plt.close(fig)
        path = out / filename
        path.write_text(self.markdown())
        return path
