"""Reports with figures, shared by every pillar: Markdown plus one self-contained HTML file.

A :class:`Report` collects headings, prose, tables and matplotlib figures. :meth:`Report.write`
writes ``<out_dir>/report.md`` with the figures beside it in ``<out_dir>/figures/``, and
``<out_dir>/report.html``: the same report as one file with the figures embedded as PNG data URIs
and the stylesheet inline, so it opens in any browser, offline, after being mailed or copied alone.

>>> import pandas as pd
>>> r = Report("demo")
>>> r.table(pd.DataFrame({"model": ["lr"], "accuracy": [0.9123]}))
>>> "| lr | 0.9123 |" in r.markdown()
True
>>> "<td>lr</td>" in r.html()
True
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import io
import os
import platform
import re
import secrets
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["Report", "markdown_table", "pyplot"]

#: Resolution of the saved figures (dots per inch); a 6.4 in wide figure is about 700 px.
_DPI = 110


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


# The blocks a report is made of; each renders to Markdown (unchanged since reports were
# Markdown only) and to HTML.
@dataclass(frozen=True)
class _Heading:
    text: str
    level: int


@dataclass(frozen=True)
class _Prose:
    markdown: str


@dataclass(frozen=True)
class _Table:
    markdown: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[bool, ...]  # right-align columns of numbers
    caption: str | None


@dataclass(frozen=True)
class _Figure:
    index: int  # position in Report._figures (two figures may share a file name)
    slug: str
    caption: str


_Block = _Heading | _Prose | _Table | _Figure

# A table cell that reads as a number ("0.9123", "-1.2e-05", "95.0%", "1,024") is right-aligned
# in HTML so that digits line up; blanks and dashes do not stop a column from being numeric.
_NUMBER = re.compile(r"[-+\u2212]?(\d[\d,]*\.?\d*|\.\d+)([eE][-+]?\d+)?\s?%?|[-+]?(inf|nan)")
_NOT_A_NUMBER = frozenset({"", "-", "\u2013", "\u2014"})


@cache
def _markdown_it() -> Any:
    """CommonMark with GFM tables; raw HTML in the text is escaped, never passed through, and
    Markdown images are left as text: a report embeds its own figures and fetches nothing."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    return md.disable("image")


def _inline(text: str) -> str:
    """One line of Markdown (a heading, a caption, a table cell) as escaped inline HTML."""
    return str(_markdown_it().renderInline(text))


def _png_size(png: bytes) -> tuple[int, int]:
    """(width, height) in pixels, read from the PNG's IHDR chunk."""
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def _write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path`` and rename it over ``path``, so that an
    interrupted write leaves the previous file (or none), never a truncated one."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "xb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _figure_png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=_DPI, bbox_inches="tight")
    return buf.getvalue()


# Readable on screen and on paper; wide tables scroll inside their own box.
_CSS = """
:root { color-scheme: light dark; --fg: #1b1f24; --muted: #57606a; --rule: #d0d7de;
  --stripe: #f6f8fa; --bg: #fff; --accent: #0b5cad; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --muted: #9198a1;
  --rule: #3d444d; --stripe: #151b23; --bg: #0d1117; --accent: #4493f8; } }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); line-height: 1.55;
  font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", sans-serif; }
main { max-width: 62rem; margin: 0 auto; padding: 2rem 1.25rem 4rem; }
h1 { font-size: 1.9rem; line-height: 1.25; margin: 0 0 .25rem; }
h2 { font-size: 1.4rem; margin: 2.5rem 0 .75rem; padding-bottom: .3rem;
  border-bottom: 1px solid var(--rule); }
h3 { font-size: 1.15rem; margin: 1.75rem 0 .5rem; }
h4, h5, h6 { font-size: 1rem; margin: 1.5rem 0 .5rem; }
p, ul, ol { margin: .75rem 0; }
a { color: var(--accent); }
code { font: .9em ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  background: var(--stripe); padding: .1em .3em; border-radius: 4px; }
.provenance { color: var(--muted); margin-top: 0; }
nav ol { columns: 2 18rem; padding-left: 1.5rem; }
.table-wrap { overflow-x: auto; margin: 1rem 0 1.5rem; }
table { border-collapse: collapse; font-size: .9rem; font-variant-numeric: tabular-nums; }
caption { caption-side: top; text-align: left; font-style: italic; color: var(--muted);
  padding-bottom: .4rem; }
th, td { border: 1px solid var(--rule); padding: .3rem .6rem; vertical-align: top; }
th { background: var(--stripe); text-align: left; }
tbody tr:nth-child(even) { background: var(--stripe); }
td.num, th.num { text-align: right; white-space: nowrap; }
figure { margin: 1.5rem 0; }
figure img { display: block; max-width: 100%; height: auto; margin: 0 auto; background: #fff; }
figcaption { color: var(--muted); font-style: italic; text-align: center; margin-top: .5rem; }
@media print { main { max-width: none; padding: 0; } nav { display: none; }
  h2, h3 { break-after: avoid; } figure, tr { break-inside: avoid; } }
"""

# Nothing may be fetched: images only from data: URIs, styles only inline, no scripts.
_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


class Report:
    """An ordered list of headings, prose, tables and figures, written to one folder.

    Args:
        title: top-level heading.
    """

    def __init__(self, title: str) -> None:
        self.title = title
        self._blocks: list[_Block] = []
        self._figures: list[tuple[str, Any]] = []

    def heading(self, text: str, level: int = 2) -> None:
        """Add a heading (level 2 = section)."""
        self._blocks.append(_Heading(text, level))

    def text(self, markdown: str) -> None:
        """Add a paragraph of Markdown."""
        self._blocks.append(_Prose(markdown.strip()))

    def bullets(self, items: Sequence[str]) -> None:
        """Add a bulleted list."""
        self._blocks.append(_Prose("\n".join(f"- {i}" for i in items)))

    def table(self, frame: pd.DataFrame, caption: str | None = None, floatfmt: str = ".4g") -> None:
        """Add a table, optionally with an italic caption above it."""
        rows = tuple(tuple(_fmt(v, floatfmt) for v in row) for row in frame.itertuples(index=False))
        columns = tuple(str(c) for c in frame.columns)
        numeric = tuple(
            any(row[j] not in _NOT_A_NUMBER for row in rows)
            and all(row[j] in _NOT_A_NUMBER or _NUMBER.fullmatch(row[j]) for row in rows)
            for j in range(len(columns))
        )
        md = markdown_table(frame, floatfmt=floatfmt)
        self._blocks.append(_Table(md, columns, rows, numeric, caption or None))

    def figure(self, fig: Any, name: str, caption: str = "") -> None:
        """Add a matplotlib figure; it is saved as ``figures/<name>.png`` on :meth:`write`."""
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
        self._blocks.append(_Figure(len(self._figures), slug, caption))
        self._figures.append((slug, fig))

    @staticmethod
    def _provenance() -> str:
        stamp = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        return f"Generated {stamp} on {platform.node() or 'unknown host'} ({platform.machine()})."

    def markdown(self, provenance: str | None = None) -> str:
        """The report's Markdown text (``provenance``: the "Generated ..." line; default now)."""
        parts = [f"# {self.title}\n\n*{provenance or self._provenance()}*"]
        for block in self._blocks:
            if isinstance(block, _Heading):
                parts.append("#" * block.level + " " + block.text)
            elif isinstance(block, _Prose):
                parts.append(block.markdown)
            elif isinstance(block, _Table):
                parts += ([f"*{block.caption}*"] if block.caption else []) + [block.markdown]
            else:
                c = block.caption
                parts.append(
                    f"![{c or block.slug}](figures/{block.slug}.png)" + (f"\n\n*{c}*" if c else "")
                )
        return "\n\n".join(parts) + "\n"

    def html(self, figures: Sequence[bytes] | None = None, provenance: str | None = None) -> str:
        """The report as one self-contained HTML document.

        Args:
            figures: PNG bytes of each figure in the order added (default: rendered now).
            provenance: the "Generated ..." line (default: now).
        """
        pngs = list(figures) if figures is not None else [_figure_png(f) for _, f in self._figures]
        body: list[str] = []
        ids: set[str] = set()
        toc: list[str] = []
        for block in self._blocks:
            if isinstance(block, _Heading):
                body.append(_html_heading(block, ids, toc))
            elif isinstance(block, _Prose):
                body.append(_markdown_it().render(block.markdown) if block.markdown else "")
            elif isinstance(block, _Table):
                body.append(_html_table(block))
            else:
                body.append(_html_figure(block, pngs[block.index]))
        nav = (
            '<nav aria-label="Sections"><ol>\n' + "\n".join(toc) + "\n</ol></nav>\n"
            if len(toc) >= 3
            else ""
        )
        return (
            "<!DOCTYPE html>\n"
            '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            '<meta name="generator" content="nulearn">\n'
            f"<title>{html.escape(self.title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
            f"<main>\n<header>\n<h1>{_inline(self.title)}</h1>\n"
            f'<p class="provenance">{html.escape(provenance or self._provenance())}</p>\n'
            f"</header>\n{nav}" + "\n".join(b for b in body if b) + "\n</main>\n</body>\n</html>\n"
        )

    def write(self, out_dir: str | Path, filename: str = "report.md") -> Path:
        """Write the Markdown, the figures and the HTML; returns the path of the Markdown file.

        Everything is rendered in memory first; then every file is written under a temporary
        name and renamed into place, figures first and the Markdown last. A failure or an
        interrupt leaves no truncated file, and removes what this call wrote (and ``out_dir``
        if it created it); other files in ``out_dir`` are kept. The HTML file is ``filename``
        with suffix ``.html``.
        """
        import matplotlib.pyplot as plt

        out = Path(out_dir)
        try:
            pngs = [_figure_png(fig) for _, fig in self._figures]
        finally:
            for _, fig in self._figures:
                plt.close(fig)
        provenance = self._provenance()
        path = out / filename
        files = [
            (out / "figures" / f"{slug}.png", png)
            for (slug, _), png in zip(self._figures, pngs, strict=True)
        ]
        files.append((path.with_suffix(".html"), self.html(pngs, provenance).encode("utf-8")))
        files.append((path, self.markdown(provenance).encode("utf-8")))
        created = [d for d in (out / "figures", *(out / "figures").parents) if not d.exists()]
        written: list[Path] = []
        try:
            (out / "figures").mkdir(parents=True, exist_ok=True)
            for target, data in files:
                _write_atomic(target, data)
                written.append(target)
        except BaseException:
            for target in written:
                target.unlink(missing_ok=True)
            if created:  # the topmost folder this call made, with all it holds
                shutil.rmtree(created[-1], ignore_errors=True)
            raise
        return path


def _html_heading(block: _Heading, ids: set[str], toc: list[str]) -> str:
    level = min(max(block.level, 1), 6)
    base = re.sub(r"[^a-z0-9]+", "-", block.text.lower()).strip("-") or "section"
    anchor, n = base, 1
    while anchor in ids:
        n += 1
        anchor = f"{base}-{n}"
    ids.add(anchor)
    inner = _inline(block.text)
    if level == 2:
        toc.append(f'<li><a href="#{anchor}">{inner}</a></li>')
    return f'<h{level} id="{anchor}">{inner}</h{level}>'


def _html_table(block: _Table) -> str:
    def cls(j: int) -> str:
        return ' class="num"' if block.numeric[j] else ""

    head = "".join(
        f'<th scope="col"{cls(j)}>{_inline(c)}</th>' for j, c in enumerate(block.columns)
    )
    rows = "\n".join(
        "<tr>" + "".join(f"<td{cls(j)}>{_inline(v)}</td>" for j, v in enumerate(row)) + "</tr>"
        for row in block.rows
    )
    caption = f"<caption>{_inline(block.caption)}</caption>\n" if block.caption else ""
    return (
        f'<div class="table-wrap"><table>\n{caption}<thead><tr>{head}</tr></thead>\n'
        f"<tbody>\n{rows}\n</tbody>\n</table></div>"
    )


def _html_figure(block: _Figure, png: bytes) -> str:
    width, height = _png_size(png)
    uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    alt = html.escape(block.caption or block.slug)
    caption = f"\n<figcaption>{_inline(block.caption)}</figcaption>" if block.caption else ""
    return (
        f'<figure id="fig-{html.escape(block.slug)}">'
        f'<img src="{uri}" alt="{alt}" width="{width}" height="{height}">{caption}</figure>'
    )
