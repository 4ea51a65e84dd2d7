"""The HTML twin of every report: one self-contained file whose figures render in a browser.

The unit tests read the HTML with the standard library's parser; the browser tests open it in
headless Chromium (Debian's ``chromium``, installed by ``scripts/install-system-deps.sh``) and ask
the page itself whether every image decoded.
"""

from __future__ import annotations

import base64
import io
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image
from typer.testing import CliRunner

from nulearn.cli import app
from nulearn.ml import report as report_module
from nulearn.ml.report import Report, pyplot

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
DATA_PNG = "data:image/png;base64,"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="chromium is not installed (apt-get install chromium; scripts/install-system-deps.sh)",
)


class _Outline(HTMLParser):
    """Headings, table cells, images and every URL-carrying attribute of an HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.headings: list[tuple[str, str]] = []  # (tag, text)
        self.cells: list[str] = []
        self.images: list[dict[str, str]] = []
        self.captions: list[str] = []
        self.urls: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self.tags: list[str] = []
        self._open: list[tuple[str, list[str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        values = {k: v or "" for k, v in attrs}
        if tag == "img":
            self.images.append(values)
        for key in ("src", "href", "srcset", "poster", "data", "action"):
            if key in values:
                self.urls.append((tag, key, values[key]))
        if tag in {"h1", "h2", "h3", "h4", "td", "th", "figcaption", "title"}:
            self._open.append((tag, []))

    def handle_data(self, data: str) -> None:
        for _, texts in self._open:
            texts.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._open and self._open[-1][0] == tag:
            _, texts = self._open.pop()
            text = "".join(texts).strip()
            if tag in {"td", "th"}:
                self.cells.append(text)
            elif tag == "figcaption":
                self.captions.append(text)
            elif tag != "title":
                self.headings.append((tag, text))


def _outline(page: str) -> _Outline:
    parser = _Outline()
    parser.feed(page)
    parser.close()
    return parser


def _figure(width_in: float, height_in: float):  # type: ignore[no-untyped-def]
    fig, ax = pyplot().subplots(figsize=(width_in, height_in))
    ax.plot([0, 1, 2], [0, 1, 4], label="a < b & c")
    ax.legend()
    return fig


@pytest.fixture
def written(tmp_path: Path) -> tuple[Report, Path]:
    rep = Report("Scores <raw> & ceilings")
    rep.text(
        "Prose with `code <x>`, **bold**, *italics*, a [link](https://arxiv.org/abs/2310.03807), "
        "a < b & c, a raw <script>alert(1)</script> and an image ![remote](http://example.org/x.png)."
    )
    rep.bullets(["first <item>", "second & last"])
    rep.heading("Section <one> & two")
    rep.table(
        pd.DataFrame(
            {"model": ["lr2", "gbt <closure>", "a & b"], "accuracy": [0.9123, 0.95, float("nan")]}
        ),
        caption="Accuracy on the <test> split & more",
    )
    rep.heading("Sub-section", level=3)
    rep.figure(_figure(6.4, 4.8), "roc curves", "ROC <curves> & PR")
    rep.figure(_figure(3.0, 2.0), "small")
    rep.write(tmp_path)
    return rep, tmp_path


def test_html_has_every_heading_cell_and_figure(written: tuple[Report, Path]) -> None:
    _, out = written
    page = (out / "report.html").read_text(encoding="utf-8")
    outline = _outline(page)
    assert outline.headings == [
        ("h1", "Scores <raw> & ceilings"),
        ("h2", "Section <one> & two"),
        ("h3", "Sub-section"),
    ]
    assert outline.cells == [
        *("model", "accuracy"),
        *("lr2", "0.9123", "gbt <closure>", "0.95", "a & b", "nan"),
    ]
    assert outline.tags.count("thead") == 1 and outline.tags.count("tbody") == 1
    assert outline.captions == ["ROC <curves> & PR"]
    assert [(i["alt"], i["width"] != "", i["height"] != "") for i in outline.images] == [
        ("ROC <curves> & PR", True, True),
        ("small", True, True),
    ]
    assert "<caption>Accuracy on the &lt;test&gt; split &amp; more</caption>" in page


def test_embedded_figures_are_the_saved_pngs(written: tuple[Report, Path]) -> None:
    """Each <img> holds a PNG data URI identical to figures/<name>.png, sized as matplotlib drew it."""
    _, out = written
    images = _outline((out / "report.html").read_text(encoding="utf-8")).images
    for img, (name, inches) in zip(
        images, [("roc_curves", (6.4, 4.8)), ("small", (3.0, 2.0))], strict=True
    ):
        assert img["src"].startswith(DATA_PNG)
        png = base64.b64decode(img["src"][len(DATA_PNG) :], validate=True)
        assert png.startswith(PNG_SIGNATURE)
        assert png == (out / "figures" / f"{name}.png").read_bytes()
        with Image.open(io.BytesIO(png)) as decoded:
            decoded.load()
            width, height = decoded.size
        assert (img["width"], img["height"]) == (str(width), str(height))
        # 110 dpi, trimmed to the drawn area by bbox_inches="tight": a few percent either way
        assert width == pytest.approx(inches[0] * 110, rel=0.15)
        assert height == pytest.approx(inches[1] * 110, rel=0.15)


def test_html_fetches_nothing_and_escapes_text(written: tuple[Report, Path]) -> None:
    _, out = written
    page = (out / "report.html").read_text(encoding="utf-8")
    outline = _outline(page)
    # The only URLs: the figures' data URIs and the prose's links (followed only if clicked);
    # the Markdown image became a link, not an <img>: a report fetches nothing.
    assert {(tag, attr) for tag, attr, _ in outline.urls} == {("img", "src"), ("a", "href")}
    assert all(url.startswith(DATA_PNG) for tag, _, url in outline.urls if tag == "img")
    assert [url for tag, _, url in outline.urls if tag == "a"] == [
        "https://arxiv.org/abs/2310.03807",
        "http://example.org/x.png",
    ]
    assert not re.search(r"(src|srcset)\s*=\s*[\"']?\s*(https?:)?//", page, re.IGNORECASE)
    assert "url(" not in page and "@import" not in page and "<link" not in page
    assert "<script" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "a &lt; b &amp; c" in page and "<code>code &lt;x&gt;</code>" in page
    assert "<strong>bold</strong>" in page and "<em>italics</em>" in page
    assert "<li>first &lt;item&gt;</li>" in page and "<li>second &amp; last</li>" in page
    assert "<title>Scores &lt;raw&gt; &amp; ceilings</title>" in page
    assert "default-src 'none'" in page  # the browser is told to refuse any other request


def test_markdown_is_unchanged_by_the_html(written: tuple[Report, Path]) -> None:
    """The Markdown is the raw text of the blocks, as it was before the HTML existed."""
    rep, out = written
    md = (out / "report.md").read_text(encoding="utf-8")
    provenance = md.splitlines()[2].strip("*")
    assert md == rep.markdown(provenance)
    assert md.startswith("# Scores <raw> & ceilings\n\n*Generated ")
    assert "\n\n## Section <one> & two\n\n*Accuracy on the <test> split & more*\n\n" in md
    assert "| gbt <closure> | 0.95 |\n| a & b | nan |\n\n### Sub-section\n\n" in md
    assert md.endswith(
        "![ROC <curves> & PR](figures/roc_curves.png)\n\n*ROC <curves> & PR*\n\n"
        "![small](figures/small.png)\n"
    )
    assert rep.html(provenance=provenance).count("<img") == 2  # figures stay open until written


def test_numeric_columns_are_right_aligned() -> None:
    rep = Report("t")
    rep.table(pd.DataFrame({"m": ["a", "b"], "acc": ["95.0%", "—"], "n": [1, 2], "x": ["1", "y"]}))
    heads = re.findall(r"<th scope=\"col\"( class=\"num\")?>(\w+)</th>", rep.html())
    assert heads == [("", "m"), (' class="num"', "acc"), (' class="num"', "n"), ("", "x")]


def test_interrupted_write_leaves_the_previous_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = Report("first")
    first.text("kept")
    first.write(tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    assert sorted(before) == ["report.html", "report.md"]

    def crash(src: str, dst: str) -> None:
        raise KeyboardInterrupt

    second = Report("second")
    second.text("lost")
    monkeypatch.setattr(report_module.os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        second.write(tmp_path)
    monkeypatch.undo()
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    assert after == before  # no half-written file, no temporary left behind
    second.write(tmp_path)
    assert "lost" in (tmp_path / "report.html").read_text() and not list(tmp_path.glob(".*"))


def _browser_verdict(page: Path, tmp: Path) -> str:
    """Open a copy of ``page`` in headless Chromium; its title says whether every image decoded.

    The copy gets one inline script (allowed by widening the page's Content-Security-Policy, which
    otherwise forbids scripts) that runs after the load event, when every image has been decoded
    or has failed.
    """
    assert CHROMIUM is not None
    text = page.read_text(encoding="utf-8")
    probe = (
        "<script>addEventListener('load', () => { const im = [...document.images];"
        " document.title = (im.length > 0 && im.every(i => i.complete && i.naturalWidth > 0)"
        " ? 'ok' : 'broken') + ':' + im.length; });</script>\n</body>"
    )
    csp = "default-src 'none';"
    assert text.count(csp) == 1 and text.count("</body>") == 1
    text = text.replace(csp, csp + " script-src 'unsafe-inline';").replace("</body>", probe)
    probe_page = tmp / f"probe-{page.parent.name}.html"
    probe_page.write_text(text, encoding="utf-8")
    env = {**os.environ, "HOME": str(tmp)}  # chromium writes caches under $HOME
    res = subprocess.run(
        [
            CHROMIUM,
            *("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"),
            *("--disable-quic", "--no-first-run", "--disable-background-networking"),
            *("--disable-component-update", "--disable-sync", "--disable-extensions"),
            f"--user-data-dir={tmp / 'chromium-profile'}",
            "--dump-dom",
            probe_page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    title = re.search(r"<title>(.*?)</title>", res.stdout)
    assert res.returncode == 0 and title, res.stderr[-2000:]
    return title.group(1)


@needs_chromium
def test_every_figure_renders_in_chromium(written: tuple[Report, Path], tmp_path: Path) -> None:
    _, out = written
    assert _browser_verdict(out / "report.html", tmp_path) == "ok:2"
    # The check can fail: a figure whose bytes are not a PNG is reported broken.
    broken = tmp_path / "broken" / "report.html"
    broken.parent.mkdir()
    page = (out / "report.html").read_text(encoding="utf-8")
    broken.write_text(page.replace(DATA_PNG + "iVBOR", DATA_PNG + "AAAA", 1), encoding="utf-8")
    assert _browser_verdict(broken, tmp_path) == "broken:2"


@needs_chromium
def test_reproduce_writes_an_html_report_that_renders(tmp_path: Path) -> None:
    out = tmp_path / "rep"
    args = ["flavor", "reproduce", "--size", "150", "--models", "lr2", "--jobs", "1"]
    res = CliRunner().invoke(app, [*args, "--out", str(out)])
    assert res.exit_code == 0, res.output
    n_figures = (out / "report.md").read_text(encoding="utf-8").count("](figures/")
    assert n_figures >= 3 and len(list((out / "figures").glob("*.png"))) == n_figures
    outline = _outline((out / "report.html").read_text(encoding="utf-8"))
    assert ("h2", "Acceptance checks") in outline.headings
    assert _browser_verdict(out / "report.html", tmp_path) == f"ok:{n_figures}"
