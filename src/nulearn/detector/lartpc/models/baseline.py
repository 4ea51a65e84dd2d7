"""Classical cosmic tagger: Hough-transform lines that cross the whole window are cosmic.

The rule is the one a hand-made selection would use without a network: a cosmic muon is a long
straight track that enters and leaves the readout window (it crosses the 4 m height, so its
projection reaches two edges of the image, the drift-time edges included when it crosses the
anode or the cathode, or when it is out of time and cut at the window's start or end), while a
neutrino interaction starts at a vertex inside the volume.

Per image (pixels, not millimetres; all votes vectorised):

1. **hits**: pixels above ``threshold_sigma`` noise sigmas;
2. **Hough** accumulator of the remaining hits over ``n_angles`` line angles; take the strongest
   line (at least ``min_votes`` hits within ``band`` pixels of it);
3. **extent**: the hits on the line form runs (gaps of at most ``max_gap`` pixels); the longest
   run is a cosmic when it is at least ``min_length`` long and either both its ends lie within
   ``edge_margin`` pixels of an image edge (through-going: it crosses the window, or the anode or
   cathode, or it is cut by the readout window because it is out of time), or one end does and
   the other is *clean*: fewer than ``vertex_hits`` other hits within ``vertex_radius`` pixels,
   i.e. no neutrino vertex there (an out-of-time or stopping cosmic ends inside the window with
   at most a Michel electron, a neutrino muon starts at a vertex with protons and showers);
4. a cosmic's hits within ``band`` pixels are labelled cosmic and removed; a rejected line's
   hits are set aside as well (so the next strongest line is found); repeat up to ``max_lines``;
5. all other hits are neutrino; pixels below threshold are background.

>>> import numpy as np
>>> img = np.zeros((32, 32), np.float32); img[:, 10] = 100.0; img[12:16, 20:24] = 100.0
>>> lab = HoughCosmicTagger(min_length=16).predict(img[None], noise_sigma=1.0)[0]
>>> int((lab == 1).sum()), int((lab == 2).sum())
(32, 16)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from nulearn.ml.progress import Progress, no_progress

__all__ = ["HoughCosmicTagger"]


@dataclass(frozen=True)
class HoughCosmicTagger:
    """Parameters of the Hough/timing cosmic tagger (see the module notes); lengths in pixels."""

    threshold_sigma: float = 4.0
    n_angles: int = 180
    band: float = 2.5
    min_votes: int = 12
    min_length: float = 24.0
    max_gap: float = 8.0
    edge_margin: float = 6.0
    max_lines: int = 20
    vertex_radius: float = 6.0
    vertex_hits: int = 10

    @classmethod
    def for_image_size(cls, size: int) -> HoughCosmicTagger:
        """The defaults (set for 128-pixel images) with lengths scaled to ``size`` pixels.

        >>> HoughCosmicTagger.for_image_size(256).min_length
        48.0
        """
        f = size / 128.0
        base = cls()
        return cls(
            band=max(base.band * f, 1.5),
            min_votes=max(round(base.min_votes * f), 4),
            min_length=base.min_length * f,
            max_gap=base.max_gap * f,
            edge_margin=max(base.edge_margin * f, 2.0),
            vertex_radius=max(base.vertex_radius * f, 3.0),
            vertex_hits=max(round(base.vertex_hits * f), 3),
        )

    def predict(
        self,
        images: NDArray[np.float32],
        noise_sigma: float,
        progress: Progress = no_progress,
    ) -> NDArray[np.int8]:
        """Labels (n, H, W) int8 for images (n, H, W) with pixel noise ``noise_sigma``."""
        x = np.asarray(images)
        if x.ndim != 3:
            raise ValueError(f"images must have shape (n, H, W); got {x.shape}")
        advance = progress("Hough cosmic tagger", x.shape[0])
        out = np.zeros(x.shape, dtype=np.int8)
        for i in range(x.shape[0]):  # per image; the work inside is vectorised over hits
            out[i] = self._one(x[i], noise_sigma)
            advance(1)
        return out

    def _one(self, image: NDArray[np.float32], noise_sigma: float) -> NDArray[np.int8]:
        h, w = image.shape
        rows, cols = np.nonzero(image > self.threshold_sigma * noise_sigma)
        label = np.zeros((h, w), dtype=np.int8)
        label[rows, cols] = 2
        theta = np.linspace(0.0, np.pi, self.n_angles, endpoint=False)
        cos, sin = np.cos(theta), np.sin(theta)
        diag = float(np.hypot(h, w))
        n_rho = int(np.ceil(2 * diag)) + 1
        free = np.ones(rows.size, dtype=bool)
        for _ in range(self.max_lines):
            r, c = rows[free], cols[free]
            if r.size < self.min_votes:
                break
            rho = c[:, None] * cos[None, :] + r[:, None] * sin[None, :]
            bins = np.round(rho + diag).astype(np.int64)
            acc = np.bincount(
                (bins + n_rho * np.arange(self.n_angles)[None, :]).ravel(),
                minlength=n_rho * self.n_angles,
            )
            best = int(acc.argmax())
            if acc[best] < self.min_votes:
                break
            a, rho0 = best // n_rho, best % n_rho - diag
            dist = np.abs(cols * cos[a] + rows * sin[a] - rho0)
            on = free & (dist <= self.band)
            along = -cols * sin[a] + rows * cos[a]
            lo, hi = self._longest_run(along[on])
            run = on & (along >= lo) & (along <= hi)
            if hi - lo >= self.min_length and self._cosmic(rows, cols, run, along, h, w):
                label[rows[run], cols[run]] = 1
            free &= ~run if run.any() else ~on
        return label

    def _longest_run(self, s: NDArray[np.float64]) -> tuple[float, float]:
        """Ends of the longest stretch of sorted positions with gaps <= ``max_gap``."""
        order = np.sort(s)
        breaks = np.flatnonzero(np.diff(order) > self.max_gap)
        starts = np.concatenate([[0], breaks + 1])
        ends = np.concatenate([breaks, [order.size - 1]])
        k = int(np.argmax(order[ends] - order[starts]))
        return float(order[starts[k]]), float(order[ends[k]])

    def _cosmic(
        self,
        rows: NDArray[np.int64],
        cols: NDArray[np.int64],
        run: NDArray[np.bool_],
        along: NDArray[np.float64],
        h: int,
        w: int,
    ) -> bool:
        """Through-going, or entering at an edge and ending without a vertex."""
        m = self.edge_margin
        r, c, s = rows[run], cols[run], along[run]
        ends = (int(np.argmin(s)), int(np.argmax(s)))
        near = [bool(r[k] < m or r[k] > h - 1 - m or c[k] < m or c[k] > w - 1 - m) for k in ends]
        if all(near):
            return True
        if not any(near):
            return False
        inner = ends[0] if not near[0] else ends[1]
        dist = np.hypot(rows[~run] - r[inner], cols[~run] - c[inner])
        return int((dist <= self.vertex_radius).sum()) < self.vertex_hits
