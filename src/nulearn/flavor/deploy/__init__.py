"""Deployment of crossing classifiers into simulation codes and onto whole snapshots.

* :func:`export_model`: ONNX (LR, decision tree and KNN via skl2onnx, the MLP via torch.onnx,
  LightGBM and the SVM from their deploy plan), TorchScript (MLP), and dependency-free generated
  C headers (also valid C++) / ``bind(C)`` Fortran modules (LR, MLP, LightGBM with its moment and
  closure features, the exact and Nystroem RBF SVM, the decision tree), all taking raw moments
  and returning (probability, flag) with flag -1 for invalid input; with ``measure=True`` the
  written file is timed (cells/s on one core). Raw
  moments are 1D (``n_s``, ``F_s``) or, for models of 3D-moment features, densities and flux
  vectors (``n_s``, ``flux_x_s``, ``flux_y_s``, ``flux_z_s``), from which every target computes the
  rotation-invariant features itself; models in physical coordinates carry the map inside;
* :func:`flag_snapshot`: chunked, resumable, optionally Dask-distributed flagging of HDF5
  snapshots (1D or 3D moment fields) of any grid shape, read as codes store them (species and
  energy-group axes, flux vectors; :mod:`nulearn.flavor.deploy.snapshot_layout`).
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
