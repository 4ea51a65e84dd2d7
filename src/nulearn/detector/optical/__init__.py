"""Sparse in-ice optical array (IceCube-like): simulation, classical line fit, graph network and
CNN for neutrino/atmospheric-muon classification and direction regression.

Arranged by role, imports flowing one way: :mod:`~nulearn.detector.optical.physics` (geometry and
optics, event truth, hit simulator, line fit) → :mod:`~nulearn.detector.optical.data` (node sets
and regularized grid images) → :mod:`~nulearn.detector.optical.models` (DynEdge-style GNN, 3D CNN,
training) → :mod:`~nulearn.detector.optical.evaluation` (efficiency at rejection, angular error)
→ :mod:`~nulearn.detector.optical.study` (the study, its event files and report).

The names below are imported on first use: ``import nulearn.detector.optical`` imports no torch.
"""

from __future__ import annotations

from nulearn._lazy import lazy_attributes

_MODULES: dict[str, tuple[str, ...]] = {
    "physics.config": ("OpticalConfig",),
    "physics.events": ("Truth", "generate_truth"),
    "physics.simulator": ("Hits", "simulate_hits"),
    "physics.reconstruction": ("line_fit", "local_coincidence"),
    "data.inputs": ("grid_images", "node_features"),
    "models.networks": ("DynEdgeNet", "GridCNN"),
    "models.training": ("train_network",),
    "evaluation.metrics": ("angular_error_deg", "efficiency_at_rejection"),
    "study.run": ("StudySettings", "graph_study", "run_graph_study"),
    "study.events": ("load_events", "save_events", "simulate_events"),
}

#: The curated public names, each imported from its module on first use.
__all__ = sorted(name for names in _MODULES.values() for name in names)

__getattr__, __dir__ = lazy_attributes(
    __name__, {name: f"{__name__}.{mod}" for mod, names in _MODULES.items() for name in names}
)
