"""Deployment of crossing classifiers into simulation codes and onto whole snapshots.

* :func:`export_model`: ONNX (scikit-learn via skl2onnx, the MLP via torch.onnx), TorchScript
  (MLP), and dependency-free generated C headers / Fortran modules (polynomial LR, small MLPs),
  all taking raw moments and returning (probability, flag) with flag -1 for invalid input;
* :func:`flag_snapshot`: chunked, resumable, optionally Dask-distributed flagging of HDF5
  snapshots of any grid shape.
"""

from nulearn.flavor.deploy.export import FORMATS, ExportResult, export_model
from nulearn.flavor.deploy.flagging import BACKENDS, FlagResult, flag_snapshot
from nulearn.flavor.deploy.loading import DeployableModel, load_deployable
from nulearn.flavor.deploy.plan import INVALID_FLAG, DeployPlan, evaluate_plan

__all__ = [
    "BACKENDS",
    "FORMATS",
    "INVALID_FLAG",
    "DeployPlan",
    "DeployableModel",
    "ExportResult",
    "FlagResult",
    "evaluate_plan",
    "export_model",
    "flag_snapshot",
    "load_deployable",
]
