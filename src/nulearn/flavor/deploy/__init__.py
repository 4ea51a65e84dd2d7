"""Deployment of crossing classifiers into simulation codes and onto whole snapshots.

* :func:`export_model`: ONNX (scikit-learn via skl2onnx, the MLP via torch.onnx), TorchScript
  (MLP), and dependency-free generated C headers / Fortran modules (polynomial LR, small MLPs),
  all taking raw moments and returning (probability, flag) with flag -1 for invalid input. Raw
  moments are 1D (``n_s``, ``F_s``) or, for models of 3D-moment features, densities and flux
  vectors (``n_s``, ``flux_x_s``, ``flux_y_s``, ``flux_z_s``), from which every target computes the
  rotation-invariant features itself; models in physical coordinates carry the map inside;
* :func:`flag_snapshot`: chunked, resumable, optionally Dask-distributed flagging of HDF5
  snapshots (1D or 3D moment fields) of any grid shape.
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
