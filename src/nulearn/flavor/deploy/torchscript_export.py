"""TorchScript export of the MLP: raw moments ``(n_cells, n_raw)`` -> ``(p_crossing, flag)``.

The scripted module (:class:`~nulearn.flavor.deploy.torch_module.RawMomentMLP`) loads in C++
with ``torch::jit::load`` and in Python with ``torch.jit.load``; no nulearn code is needed.
"""

from __future__ import annotations

from pathlib import Path

from nulearn.flavor.deploy.loading import DeployableModel

__all__ = ["export_torchscript"]


def export_torchscript(
    model: DeployableModel, out: str | Path, *, precision: str = "float64"
) -> Path:
    """Script the MLP of ``model`` and save it to ``out``.

    Raises:
        ValueError: for models other than the MLP (use ONNX or generated code for those).
    """
    import torch

    from nulearn.flavor.deploy.torch_module import RawMomentMLP

    if model.kind != "mlp":
        raise ValueError(
            f"TorchScript export is for the PyTorch MLP; model {model.card.model!r} is {model.kind}"
        )
    dtype = {"float64": torch.float64, "float32": torch.float32}[precision]
    scripted = torch.jit.script(RawMomentMLP(model, dtype=dtype))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    scripted.save(str(out))
    return out
