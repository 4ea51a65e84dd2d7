"""The shared base of every scikit-learn estimator backed by a PyTorch network.

:class:`TorchEstimator` gives a network-backed estimator what scikit-learn expects of it and what
each pillar would otherwise write again:

* **standardization** of the inputs by a rule chosen per estimator (:data:`STANDARDIZATIONS`):
  ``"none"`` (images already in physical units, pixel maps in 8 bits), ``"per-feature"``
  (a feature table: mean and standard deviation of every column of the training rows) or
  ``"global"`` (one scale for every entry, the training set's standard deviation, without
  centring: a κ map divided by a per-map or per-pixel statistic would lose the amplitude that
  carries the signal, and κ = 0 stays the empty-map baseline of the attributions);
* **training** through :func:`nulearn.ml.training.fit`, seeded by
  :func:`nulearn.ml.training.seed_everything` before the network is built, so that a seed fixes
  the initial weights as well as the batch order (:meth:`TorchEstimator._train`);
* **batched inference** without gradients (:func:`predict_batches`);
* **pickling through state dicts**: ``__getstate__`` replaces each fitted network (the
  attributes named in ``torch_attributes``) by its ``state_dict`` as NumPy arrays, and
  ``__setstate__`` rebuilds the network from the estimator's own parameters
  (:meth:`TorchEstimator._rebuild`). A pickle then names no network class, and an estimator
  pickled with the whole module (as before this base existed) still loads.

:class:`TorchBinaryClassifier` adds the binary classifier contract on top of a
``decision_function`` (a logit): ``predict_proba`` through the logistic function and ``predict``
at logit 0.

>>> mean, scale = standardization(np.array([[1.0, 5.0], [3.0, 5.0]]), "per-feature")
>>> mean.tolist(), scale.tolist()
([2.0, 5.0], [1.0, 1.0])
>>> standardize(np.array([[3.0, 5.0]]), mean, scale, "per-feature").tolist()
[[1.0, 0.0]]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator, ClassifierMixin

from nulearn.ml.config import check_choice

__all__ = [
    "STANDARDIZATIONS",
    "TorchBinaryClassifier",
    "TorchEstimator",
    "predict_batches",
    "standardization",
    "standardize",
]

#: Input standardization rules of :class:`TorchEstimator` (see the module docstring).
STANDARDIZATIONS: tuple[str, ...] = ("none", "per-feature", "global")

# Key that marks a network packed by TorchEstimator.__getstate__ (a plain dict, so a pickle of
# an estimator names no class of this module either).
_PACKED = "__torch_state_dict__"


def standardization(x: ArrayLike, rule: str) -> tuple[Any, Any]:
    """The ``(offset, scale)`` of a standardization ``rule`` fitted on training inputs ``x``.

    Args:
        x: training inputs, samples along the first axis (``(n, n_features)`` for
            ``"per-feature"``, any shape for ``"global"``).
        rule: one of :data:`STANDARDIZATIONS`.

    Returns:
        ``"per-feature"``: float64 arrays ``(n_features,)``, the column means and standard
        deviations (1 where a column is constant); ``"global"``: ``0.0`` and the standard
        deviation of all entries (computed in the dtype of ``x``); ``"none"``: ``0.0, 1.0``.
    """
    check_choice("standardization", rule, STANDARDIZATIONS)
    if rule == "none":
        return 0.0, 1.0
    arr = np.asarray(x)
    if rule == "global":
        scale = float(arr.std())
        if not np.isfinite(scale) or scale <= 0:
            raise ValueError(f"global standardization: standard deviation {scale} of the inputs")
        return 0.0, scale
    mean = arr.mean(axis=0)
    std = arr.std(axis=0)
    return mean, np.where(std > 0, std, 1.0)


def standardize(x: ArrayLike, offset: Any, scale: Any, rule: str) -> NDArray[np.float32]:
    """Inputs ``x`` standardized by a fitted ``(offset, scale)``, as float32 (the networks' dtype).

    ``"per-feature"`` subtracts and divides in float64, then rounds; ``"global"`` divides float32
    by float32 (map stacks are large, and a float64 copy would double their memory).
    """
    if rule == "per-feature":
        return ((np.asarray(x, dtype=np.float64) - offset) / scale).astype(np.float32)
    arr = np.ascontiguousarray(x, dtype=np.float32)
    if rule == "global":
        return arr / np.float32(scale)
    return arr


def predict_batches(
    module: Any,
    inputs: Any,
    batch_size: int = 256,
    prepare: Callable[[Any], Any] | None = None,
) -> NDArray[np.float64]:
    """Outputs of ``module`` in eval mode and without gradients, batch by batch, as float64.

    Args:
        module: a ``torch.nn.Module``; a tuple output has its first element taken.
        inputs: NumPy array (or tensor) with the samples along the first axis.
        batch_size: samples per forward pass.
        prepare: turns a slice of ``inputs`` into the network's input tensor (default:
            ``torch.as_tensor``).

    Returns:
        The outputs concatenated along the first axis (shape ``(0,)`` for no input).
    """
    import torch

    module.eval()
    convert = prepare or torch.as_tensor
    out = []
    with torch.inference_mode():
        for lo in range(0, len(inputs), batch_size):
            y = module(convert(inputs[lo : lo + batch_size]))
            y = y[0] if isinstance(y, tuple | list) else y
            out.append(y.double().cpu().numpy())
    return np.concatenate(out) if out else np.zeros(0)


class TorchEstimator(BaseEstimator):
    """Base of the scikit-learn estimators backed by PyTorch networks (see the module docstring).

    Subclasses set the class attributes

    * ``standardization``: one of :data:`STANDARDIZATIONS`; :meth:`_fit_standardization` then
      stores the fitted ``mean_`` and ``scale_``, and :meth:`_standardize` applies them;
    * ``torch_attributes``: names of the fitted attributes holding a network (or a list of
      networks), pickled as state dicts; the first one tells whether the estimator is fitted;

    and implement :meth:`_rebuild` when they hold networks.
    """

    standardization: ClassVar[str] = "none"
    torch_attributes: ClassVar[tuple[str, ...]] = ()

    # -- standardization ------------------------------------------------------------------------
    def _fit_standardization(self, x: ArrayLike) -> None:
        """Fit the class's standardization rule on training inputs ``x``; sets ``mean_``, ``scale_``."""
        self.mean_, self.scale_ = standardization(x, self.standardization)

    def _standardize(self, x: ArrayLike) -> NDArray[np.float32]:
        """Inputs standardized by the fitted ``mean_`` and ``scale_``, float32."""
        return standardize(
            x, getattr(self, "mean_", 0.0), getattr(self, "scale_", 1.0), self.standardization
        )

    # -- training -------------------------------------------------------------------------------
    @staticmethod
    def _train(
        build: Callable[[], Any],
        train_loader: Any,
        val_loader: Any,
        config: Any,
        callbacks: list[Any] | None = None,
    ) -> tuple[Any, Any]:
        """:func:`nulearn.ml.training.train_module`: seed with ``config.seed``, build the network,
        train it and return ``(module in eval mode, trainer)``."""
        from nulearn.ml.training import train_module

        return train_module(build, train_loader, val_loader, config, callbacks)

    # -- fitted state ---------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        """Raise scikit-learn's ``NotFittedError`` unless the first network attribute is set."""
        from sklearn.exceptions import NotFittedError

        if self.torch_attributes and not hasattr(self, self.torch_attributes[0]):
            raise NotFittedError(f"{type(self).__name__} is not fitted yet; call fit first")

    def _rebuild(self, name: str) -> Any:
        """An untrained network of the architecture stored in attribute ``name`` (for unpickling).

        Called once per network (per list entry for a list attribute), after every other fitted
        attribute has been restored.
        """
        raise NotImplementedError(f"{type(self).__name__} cannot rebuild its network {name!r}")

    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())
        for name in self.torch_attributes:
            if name in state:
                state[name] = _pack(state[name])
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        packed = {name: state.pop(name) for name in self.torch_attributes if name in state}
        super().__setstate__(state)
        for name, value in packed.items():
            setattr(self, name, self._unpack(name, value))

    def _unpack(self, name: str, value: Any) -> Any:
        if isinstance(value, list):
            return [self._unpack(name, v) for v in value]
        if isinstance(value, dict) and _PACKED in value:
            import torch

            module = self._rebuild(name)
            module.load_state_dict(
                {k: torch.as_tensor(np.asarray(v)) for k, v in value[_PACKED].items()}
            )
            return module.eval()
        return value  # a network pickled whole, by an estimator saved before this base existed


def _pack(value: Any) -> Any:
    """A network as ``{_PACKED: state_dict as NumPy arrays}``; lists entry by entry.

    NumPy arrays rather than tensors: a pickled tensor is rebuilt through torch's own unpickler,
    which can run arbitrary code, so a restricted load (:mod:`nulearn.ml.persistence`) refuses it.
    """
    if isinstance(value, list):
        return [_pack(v) for v in value]
    if hasattr(value, "state_dict"):
        return {_PACKED: {k: v.detach().cpu().numpy() for k, v in value.state_dict().items()}}
    return value


class TorchBinaryClassifier(ClassifierMixin, TorchEstimator):
    """Binary classifier contract from ``decision_function`` (the logit of ``classes_[1]``).

    Subclasses implement ``decision_function`` and set ``classes_`` in ``fit``.
    """

    classes_: NDArray[Any]

    def decision_function(self, X: Any) -> NDArray[np.float64]:
        """Logit of ``classes_[1]``, shape ``(n,)``."""
        raise NotImplementedError

    def predict_proba(self, X: Any) -> NDArray[np.float64]:
        """Class probabilities, shape ``(n, 2)``: the logistic function of the logit."""
        from nulearn.ml.calibration import sigmoid

        p1 = sigmoid(self.decision_function(X))
        return np.stack([1.0 - p1, p1], axis=1)

    def predict(self, X: Any) -> NDArray[Any]:
        """Predicted class, shape ``(n,)``: ``classes_[1]`` where the logit is positive."""
        return np.asarray(self.classes_[(self.decision_function(X) > 0).astype(int)])
