r"""A learned asymptotic-state closure: moments of an unstable cell -> its moments after fast conversion.

Physics built in
----------------
In the two-flavor fast limit (:mod:`nulearn.flavor.physics.fast_flavor`) one survival probability
:math:`P(\mu)` per direction acts on every species, :math:`f'_{\nu_e} = P f_{\nu_e} + (1-P) f_{\nu_x}`
and the same for the antineutrinos. Integrated over angles, the moments after conversion are
fixed by three transfers (densities in units of :math:`n_{\nu_e}`):

* :math:`\delta = \int (1-P)(f_{\nu_e} - f_{\nu_x})\,d\mu`, the number moved from :math:`\nu_e`
  to :math:`\nu_x`. The same integral for the antineutrinos differs from it by
  :math:`\int(1-P)\,G\,d\mu`, which vanishes because the equations conserve the ELN-XLN number
  :math:`\int G P_z\,d\mu`; so one :math:`\delta` moves both helicities;
* :math:`j'_{\nu_e}` and :math:`j'_{\bar\nu_e}`, the number fluxes of :math:`\nu_e` and
  :math:`\bar\nu_e` after conversion (``j = n F``).

The closure predicts these three numbers, each as a sigmoid into the interval that keeps every
species realizable, and rebuilds the moments from them:

.. math:: n'_{\nu_e} = n_{\nu_e} - \delta,\; n'_{\nu_x} = n_{\nu_x} + \delta,\;
          n'_{\bar\nu_e} = n_{\bar\nu_e} - \delta,\; n'_{\bar\nu_x} = n_{\bar\nu_x} + \delta,
          \qquad j'_{\nu_x} = J - j'_{\nu_e},\; j'_{\bar\nu_x} = \bar J - j'_{\bar\nu_e},

with :math:`\delta \in [-\min(n_{\nu_x}, n_{\bar\nu_x}), \min(n_{\nu_e}, n_{\bar\nu_e})]` (every density
stays >= 0) and :math:`j'_{\nu_e} \in [\max(-n'_{\nu_e}, J - n'_{\nu_x}), \min(n'_{\nu_e}, J + n'_{\nu_x})]`
(both flux factors stay in [-1, 1]). Whatever the model outputs, the result conserves *exactly*
(to rounding) what the equations conserve: the number and the number flux of each helicity summed
over flavors (:math:`n_{\nu_e} + n_{\nu_x}`, :math:`J = j_{\nu_e} + j_{\nu_x}` and the same for
:math:`\bar\nu`) and the ELN-XLN number :math:`(n_{\nu_e} - n_{\bar\nu_e}) - (n_{\nu_x} - n_{\bar\nu_x})`.
The ELN-XLN flux is not conserved by the equations and is predicted.

The model
---------
Model inputs are the seven ELN-XLN features and the lepton-number moments ``g0 = 1 - alpha -
alpha_x + alpha_xbar`` and ``g1 = F_nue - alpha F_nuebar - alpha_x F_nux + alpha_xbar F_nuxbar``;
they are standardized and mapped by a small tanh network (two hidden layers of 32 by default,
about 1,400 multiply-adds per cell) to the three logits. A polynomial in these features cannot
follow the prescriptions (the asymptotic state depends on where G(mu) changes sign, a kink in
feature space): a degree-5 polynomial fitted to ``box_power`` on 20,000 cells still misses it by
0.054 in n_nue, more than ``box_power`` misses the solver. Training has two stages: pretraining on
many cheap cells labelled by the ``box_power`` prescription (:func:`distillation_rows`), then
fine-tuning on the solver rows, both minimizing the mean absolute error of the rebuilt densities
and fluxes. Stable cells keep their moments: the closure is meant for the cells a flagger marks
unstable.

>>> import numpy as np, pandas as pd
>>> cells = pd.DataFrame({"alpha": [0.9], "alpha_x": [0.5], "alpha_xbar": [0.5], "F_nue": [0.1],
...                       "F_nuebar": [0.3], "F_nux": [0.4], "F_nuxbar": [0.4]})
>>> model = ClosureModel.untrained()
>>> out = model.predict(cells)
>>> before = moments_before(cells)
>>> bool(abs(out["n_nue"] + out["n_nux"] - before["n_nue"] - before["n_nux"]).max() < 1e-12)
True
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from nulearn.flavor.physics.species import ELN_SIGN, SPECIES, XLN_FEATURES
from nulearn.flavor.physics.validity import validate_features

__all__ = [
    "CLOSURE_FILE",
    "CLOSURE_INPUTS",
    "CLOSURE_OUTPUTS",
    "ClosureModel",
    "closure_coordinates",
    "distillation_rows",
    "fit_closure",
    "moments_before",
    "rebuild_moments",
]

FloatArray = NDArray[np.float64]

#: Model features (ELN-XLN, densities relative to n_nue).
CLOSURE_INPUTS: tuple[str, ...] = XLN_FEATURES
#: Predicted asymptotic quantities (densities in n_nue; flux factors signed).
CLOSURE_OUTPUTS: tuple[str, ...] = (
    *(f"n_{s}" for s in SPECIES),
    *(f"F_{s}" for s in SPECIES),
    "eln_xln_number",
    "eln_xln_flux",
)
#: File of a saved closure inside its directory.
CLOSURE_FILE = "closure.json"
_FORMAT = "nulearn.flavor.closure/1"


def moments_before(features: pd.DataFrame | Mapping[str, Any]) -> dict[str, FloatArray]:
    """Densities (units of n_nue) and fluxes ``j = n F`` of the four species from ELN-XLN features.

    Returns:
        ``n_<s>`` and ``j_<s>``, each shape (n_cells,).
    """
    n = {
        "nue": np.ones(len(np.atleast_1d(np.asarray(features["alpha"])))),
        "nuebar": np.asarray(features["alpha"], dtype=np.float64),
        "nux": np.asarray(features["alpha_x"], dtype=np.float64),
        "nuxbar": np.asarray(features["alpha_xbar"], dtype=np.float64),
    }
    out: dict[str, FloatArray] = {}
    for s in SPECIES:
        out[f"n_{s}"] = n[s]
        out[f"j_{s}"] = n[s] * np.asarray(features[f"F_{s}"], dtype=np.float64)
    return out


def closure_coordinates(x: FloatArray) -> FloatArray:
    """Model inputs from features ``x (n, 7)`` in :data:`CLOSURE_INPUTS` order: the features,
    ``g0`` and ``g1`` (see the module docstring), shape (n, 9)."""
    a, ax, axb, fe, feb, fx, fxb = (x[:, i] for i in range(7))
    g0 = ((1.0 - a) - ax) + axb
    g1 = ((fe - a * feb) - ax * fx) + axb * fxb
    return np.concatenate([x, g0[:, None], g1[:, None]], axis=1)


def _sigmoid(z: FloatArray) -> FloatArray:
    return np.asarray(0.5 * (1.0 + np.tanh(0.5 * z)))


def rebuild_moments(before: Mapping[str, FloatArray], logits: FloatArray) -> dict[str, FloatArray]:
    """Asymptotic moments from the three logits ``(n, 3)`` (module docstring); NumPy.

    Returns:
        ``n_<s>``, ``j_<s>`` (fluxes), ``F_<s>`` (= j / n, NaN where n = 0) and
        ``eln_xln_number``, ``eln_xln_flux``, each (n,).
    """
    ne, nx = before["n_nue"], before["n_nux"]
    nb, nxb = before["n_nuebar"], before["n_nuxbar"]
    lo = -np.minimum(nx, nxb)
    hi = np.minimum(ne, nb)
    delta = lo + _sigmoid(logits[:, 0]) * (hi - lo)
    n_after = {"nue": ne - delta, "nux": nx + delta, "nuebar": nb - delta, "nuxbar": nxb + delta}
    j_after: dict[str, FloatArray] = {}
    for k, (e, x) in enumerate((("nue", "nux"), ("nuebar", "nuxbar")), start=1):
        total = before[f"j_{e}"] + before[f"j_{x}"]
        a = np.maximum(-n_after[e], total - n_after[x])
        b = np.minimum(n_after[e], total + n_after[x])
        j_after[e] = a + _sigmoid(logits[:, k]) * (b - a)
        j_after[x] = total - j_after[e]
    out: dict[str, FloatArray] = {}
    for s in SPECIES:
        out[f"n_{s}"] = n_after[s]
        out[f"j_{s}"] = j_after[s]
        with np.errstate(divide="ignore", invalid="ignore"):
            out[f"F_{s}"] = np.where(n_after[s] > 0, j_after[s] / n_after[s], np.nan)
    out["eln_xln_number"] = np.sum([ELN_SIGN[s] * before[f"n_{s}"] for s in SPECIES], axis=0)
    out["eln_xln_flux"] = np.sum([ELN_SIGN[s] * j_after[s] for s in SPECIES], axis=0)
    return out


@dataclass(frozen=True)
class ClosureModel:
    """A fitted closure (module docstring): standardization and a small tanh network.

    Attributes:
        mean, scale: standardization of the 9 model inputs, (9,).
        weights, biases: dense layers ``h -> W h + b``, tanh after every layer but the last,
            which gives the three logits; ``weights[i]`` has shape (n_out, n_in).
        domain: :meth:`nulearn.ml.domain.TrainingDomain.to_dict` of the training features
            (``None``: no check).
        metadata: provenance (scheme, family, solver configuration, rows, scores).
    """

    mean: FloatArray
    scale: FloatArray
    weights: tuple[FloatArray, ...]
    biases: tuple[FloatArray, ...]
    domain: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None

    @classmethod
    def untrained(cls, hidden: tuple[int, ...] = (8,), seed: int = 0) -> ClosureModel:
        """A closure with small random weights (logits near 0: mid-interval transfers); for tests."""
        rng = np.random.default_rng(seed)
        sizes = (9, *hidden, 3)
        weights = tuple(0.1 * rng.standard_normal((o, i)) for i, o in itertools.pairwise(sizes))
        biases = tuple(np.zeros(o) for o in sizes[1:])
        return cls(np.zeros(9), np.ones(9), weights, biases)

    @property
    def hidden(self) -> tuple[int, ...]:
        return tuple(int(w.shape[0]) for w in self.weights[:-1])

    @property
    def n_multiply_adds(self) -> int:
        """Multiply-adds of the network per cell."""
        return int(sum(w.size for w in self.weights))

    def logits(self, x: FloatArray) -> FloatArray:
        """The three logits for features ``x (n, 7)``, shape (n, 3)."""
        h = (closure_coordinates(x) - self.mean) / self.scale
        for i, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            h = h @ w.T + b
            if i < len(self.weights) - 1:
                h = np.tanh(h)
        return np.asarray(h)

    def predict(self, features: pd.DataFrame) -> pd.DataFrame:
        """Asymptotic moments (:data:`CLOSURE_OUTPUTS`, densities in n_nue) of unstable cells.

        Raises:
            ValueError: a missing feature column or an unphysical value (naming row and value).
        """
        validate_features(features, CLOSURE_INPUTS, source="closure input")
        x = features[list(CLOSURE_INPUTS)].to_numpy(dtype=np.float64)
        out = rebuild_moments(moments_before(features), self.logits(x))
        return pd.DataFrame({q: out[q] for q in CLOSURE_OUTPUTS}, index=features.index)

    def outside_domain(self, features: pd.DataFrame) -> NDArray[np.bool_]:
        """Rows whose features leave the training domain (all False without a domain)."""
        if self.domain is None:
            return np.zeros(len(features), dtype=bool)
        from nulearn.ml.domain import TrainingDomain

        dom = TrainingDomain.from_dict(self.domain)
        return ~dom.inside(features[list(CLOSURE_INPUTS)].to_numpy(dtype=np.float64))

    # -- persistence --------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The saved form, with ``sha256`` over the rest (see :meth:`from_dict`)."""
        data = {
            "format": _FORMAT,
            "features": list(CLOSURE_INPUTS),
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "weights": [w.tolist() for w in self.weights],
            "biases": [b.tolist() for b in self.biases],
            "domain": self.domain,
            "metadata": self.metadata or {},
        }
        return {**data, "sha256": _content_sha256(data)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "closure") -> ClosureModel:
        """Inverse of :meth:`to_dict`; checks format and shapes.

        Raises:
            ValueError: another format, other features, inconsistent shapes, or content that
                does not match its ``sha256`` (an edit after saving: its weights, features or
                training domain would no longer be what was trained and scored).
        """
        if data.get("format") != _FORMAT:
            raise ValueError(f"{source}: not a nulearn closure (format {data.get('format')!r})")
        rest = {k: v for k, v in data.items() if k != "sha256"}
        if data.get("sha256") != _content_sha256(rest):
            raise ValueError(
                f"{source}: content does not match its sha256 (edited after it was saved, or "
                "saved without one); restore the file as saved, or retrain it (nulearn flavor closure train)"
            )
        if tuple(data.get("features", ())) != CLOSURE_INPUTS:
            raise ValueError(f"{source}: features {data.get('features')} are not {CLOSURE_INPUTS}")
        try:
            model = cls(
                mean=np.asarray(data["mean"], dtype=np.float64),
                scale=np.asarray(data["scale"], dtype=np.float64),
                weights=tuple(np.asarray(w, dtype=np.float64) for w in data["weights"]),
                biases=tuple(np.asarray(b, dtype=np.float64) for b in data["biases"]),
                domain=data.get("domain"),
                metadata=dict(data.get("metadata") or {}),
            )
        except (KeyError, TypeError, ValueError) as err:
            raise ValueError(f"{source}: malformed closure ({err})") from None
        n_in = 9
        ok = bool(model.mean.shape == (9,) and model.scale.shape == (9,))
        ok = ok and bool((model.scale > 0).all())
        ok = ok and len(model.weights) == len(model.biases) >= 1
        for w, b in zip(model.weights, model.biases, strict=False):  # lengths checked above
            ok = ok and bool(w.ndim == 2 and w.shape[1] == n_in and b.shape == (w.shape[0],))
            ok = ok and bool(np.isfinite(w).all() and np.isfinite(b).all())
            n_in = w.shape[0] if w.ndim == 2 else -1
        if not ok or n_in != 3 or not np.isfinite(model.mean).all():
            raise ValueError(f"{source}: inconsistent or non-finite closure arrays")
        return model

    def save(self, directory: str | Path) -> Path:
        """Write ``<directory>/closure.json`` atomically (the folder may hold only an older one)."""
        from nulearn.ml.io import atomic_output, check_output

        out = check_output(
            directory, directory=True, what="closure directory", replaceable=[CLOSURE_FILE]
        )
        with atomic_output(out, directory=True, replaceable=[CLOSURE_FILE]) as tmp:
            (tmp / CLOSURE_FILE).write_text(json.dumps(self.to_dict(), indent=1))
        return out

    @classmethod
    def load(cls, directory: str | Path) -> ClosureModel:
        """Read a closure saved by :meth:`save` (a directory or its ``closure.json``), or a
        shipped one by name (``builtin:xln-closure``).

        Raises:
            FileNotFoundError: no closure there. ValueError: a malformed file or an unknown
                built-in.
        """
        from nulearn.flavor.models.builtin_models import resolve_closure_dir

        path = resolve_closure_dir(directory)
        file = path / CLOSURE_FILE if path.is_dir() else path
        if not file.is_file():
            raise FileNotFoundError(f"closure {path}: no {CLOSURE_FILE} found")
        try:
            data = json.loads(file.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise ValueError(f"closure {file}: not valid JSON ({err})") from None
        return cls.from_dict(data, str(file))


def _content_sha256(data: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of ``data`` (floats round-trip exactly through JSON)."""
    import hashlib

    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def _torch_rebuild(before: Mapping[str, Any], z: Any) -> dict[str, Any]:
    """Torch twin of :func:`rebuild_moments` (densities and fluxes only) for training."""
    import torch

    ne, nx = before["n_nue"], before["n_nux"]
    nb, nxb = before["n_nuebar"], before["n_nuxbar"]
    lo = -torch.minimum(nx, nxb)
    hi = torch.minimum(ne, nb)
    delta = lo + torch.sigmoid(z[:, 0]) * (hi - lo)
    n_after = {"nue": ne - delta, "nux": nx + delta, "nuebar": nb - delta, "nuxbar": nxb + delta}
    out = {f"n_{s}": n_after[s] for s in SPECIES}
    for k, (e, x) in enumerate((("nue", "nux"), ("nuebar", "nuxbar")), start=1):
        total = before[f"j_{e}"] + before[f"j_{x}"]
        a = torch.maximum(-n_after[e], total - n_after[x])
        b = torch.minimum(n_after[e], total + n_after[x])
        out[f"j_{e}"] = a + torch.sigmoid(z[:, k]) * (b - a)
        out[f"j_{x}"] = total - out[f"j_{e}"]
    return out


def _targets(solver: pd.DataFrame) -> dict[str, FloatArray]:
    """Solver densities and fluxes after conversion (n_nue units), each (n,)."""
    out = {}
    for s in SPECIES:
        n = solver[f"n_{s}_after"].to_numpy(dtype=np.float64)
        f = solver[f"F_{s}_after"].to_numpy(dtype=np.float64)
        out[f"n_{s}"] = n
        out[f"j_{s}"] = np.where(n > 0, n * np.nan_to_num(f), 0.0)
    return out


def _torch_logits(params: list[Any], h: Any) -> Any:
    import torch

    n_layers = len(params) // 2
    for i in range(n_layers):
        h = h @ params[2 * i].T + params[2 * i + 1]
        if i < n_layers - 1:
            h = torch.tanh(h)
    return h


def _adam(
    params: list[Any],
    h: Any,
    before: Mapping[str, Any],
    target: Mapping[str, Any],
    epochs: int,
    learning_rate: float,
) -> None:
    """Full-batch Adam on the mean absolute error of the rebuilt nue and nuebar moments (those
    of the heavy leptons follow by conservation), cosine-annealed."""
    import torch

    keys = ("n_nue", "n_nuebar", "j_nue", "j_nuebar")
    opt = torch.optim.Adam(params, lr=learning_rate)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, max(epochs, 1))
    for _ in range(epochs):
        opt.zero_grad()
        out = _torch_rebuild(before, _torch_logits(params, h))
        loss = sum((out[k] - target[k]).abs().mean() for k in keys)
        loss.backward()  # type: ignore[union-attr]
        opt.step()
        sched.step()


def distillation_rows(
    n: int, seed: int, prescription: str = "box_power", n_mu: int = 32
) -> pd.DataFrame:
    """``n`` drawn xln cells with a crossing (maximum-entropy closure) and the moments a
    prescription gives them, as solver-like rows (features and ``<quantity>_after``).

    The prescriptions are cheap, so they give a pretraining set far larger than the solver's;
    fine-tuning on solver rows then corrects the prescription where the solver differs.
    """
    from nulearn.flavor.data.generate import generate
    from nulearn.flavor.physics.asymptotic import prescribed_moments

    frame = generate("xln", "maxent", 3 * n + 100, seed)
    cells = frame[frame["crossing"] == 1][list(CLOSURE_INPUTS)].iloc[:n].reset_index(drop=True)
    after = prescribed_moments(cells, "maxent", prescription, n_mu=n_mu)
    return pd.concat([cells, after.add_suffix("_after")], axis=1)


def fit_closure(
    solver: pd.DataFrame,
    hidden: tuple[int, ...] = (32, 32),
    *,
    pretrain_rows: int = 10000,
    pretrain_epochs: int = 2500,
    finetune_epochs: int = 400,
    learning_rate: float = 0.01,
    finetune_learning_rate: float = 0.002,
    seed: int = 0,
    domain: bool = True,
    metadata: Mapping[str, Any] | None = None,
) -> ClosureModel:
    """Fit a closure: pretrain on a prescription, fine-tune on solver rows of unstable cells.

    Stage 1 fits ``pretrain_rows`` drawn xln crossing cells labelled by ``box_power``
    (:func:`distillation_rows`; skipped when 0); stage 2 continues on the solver rows (features
    and ``<quantity>_after``) with a smaller step. Both minimize the mean absolute error of the
    rebuilt densities and fluxes, full batch with Adam (a few thousand weights).

    Args:
        solver: training rows (:func:`~nulearn.flavor.physics.fast_flavor_batch.evolve_many` output).
        hidden: widths of the tanh hidden layers.
        pretrain_rows, pretrain_epochs: size and Adam steps of stage 1.
        finetune_epochs: Adam steps on the solver rows.
        learning_rate, finetune_learning_rate: Adam step sizes of the two stages.
        seed: seed of the initial weights and of the pretraining cells.
        domain: fit a training domain of the features (the check every export carries).
        metadata: stored with the model.

    Returns:
        The fitted :class:`ClosureModel`.

    Raises:
        ValueError: fewer than 2 rows, missing columns or bad sizes.
    """
    import torch

    if len(solver) < 2:
        raise ValueError(f"closure training needs >= 2 solver rows, got {len(solver)}")
    if not hidden or min(hidden) < 1 or len(hidden) > 4:
        raise ValueError(f"closure hidden layers {hidden}: give 1 to 4 widths >= 1")
    missing = [
        f"{q}_after"
        for q in ("n_nue", "n_nuebar", "F_nue", "F_nuebar")
        if f"{q}_after" not in solver
    ]
    if missing:
        raise ValueError(f"solver rows lack columns {missing}")
    validate_features(solver, CLOSURE_INPUTS, source="solver rows")
    pre = distillation_rows(pretrain_rows, seed) if pretrain_rows > 0 else solver.iloc[:0]
    x_all = np.concatenate(
        [
            solver[list(CLOSURE_INPUTS)].to_numpy(np.float64),
            pre[list(CLOSURE_INPUTS)].to_numpy(np.float64),
        ]
    )
    coords = closure_coordinates(x_all)
    mean, scale = coords.mean(axis=0), coords.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    torch.manual_seed(seed)
    sizes = (9, *hidden, 3)
    params: list[Any] = []
    for n_in, n_out in itertools.pairwise(sizes):
        bound = 1.0 / np.sqrt(n_in)
        params.append((torch.rand(n_out, n_in, dtype=torch.float64) * 2 - 1) * bound)
        params.append(torch.zeros(n_out, dtype=torch.float64))
    for p in params:
        p.requires_grad_(True)

    def tensors(rows: pd.DataFrame) -> tuple[Any, dict[str, Any], dict[str, Any]]:
        x = rows[list(CLOSURE_INPUTS)].to_numpy(np.float64)
        h = torch.tensor((closure_coordinates(x) - mean) / scale)
        before = {k: torch.tensor(v) for k, v in moments_before(rows).items()}
        target = {k: torch.tensor(v) for k, v in _targets(rows).items()}
        return h, before, target

    if pretrain_rows > 0:
        _adam(params, *tensors(pre), pretrain_epochs, learning_rate)
    _adam(params, *tensors(solver), finetune_epochs, finetune_learning_rate)
    dom = None
    if domain:
        from nulearn.ml.domain import TrainingDomain

        x_solver = solver[list(CLOSURE_INPUTS)].to_numpy(np.float64)
        dom = TrainingDomain.fit(x_solver, CLOSURE_INPUTS, n_components=4).to_dict()
    arrays = [p.detach().numpy().copy() for p in params]
    return ClosureModel(
        mean=mean,
        scale=scale,
        weights=tuple(arrays[0::2]),
        biases=tuple(arrays[1::2]),
        domain=dom,
        metadata={
            "hidden": list(hidden),
            "pretrain": {"prescription": "box_power", "rows": len(pre), "epochs": pretrain_epochs},
            "finetune": {"rows": len(solver), "epochs": finetune_epochs},
            "seed": seed,
            **(metadata or {}),
        },
    )
