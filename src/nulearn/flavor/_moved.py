"""Module paths of :mod:`nulearn.flavor` before it was split by role (physics, data, models,
evaluation, deploy, studies), for loading model directories saved with the old paths.

Consulted by :func:`nulearn.ml.persistence.load_estimator`; append here whenever a module that may
appear in a saved model moves.
"""

from __future__ import annotations

__all__ = ["MOVED_MODULES", "MOVED_NAMES"]

#: Old module path -> the module that holds its names now.
MOVED_MODULES: dict[str, str] = {
    "nulearn.flavor.species": "nulearn.flavor.physics.species",
    "nulearn.flavor.validation": "nulearn.flavor.physics.validity",
    "nulearn.flavor.families": "nulearn.flavor.physics.families",
    "nulearn.flavor._inversion": "nulearn.flavor.physics._inversion",
    "nulearn.flavor.crossings": "nulearn.flavor.physics.crossings",
    "nulearn.flavor.stability": "nulearn.flavor.physics.stability",
    "nulearn.flavor.moments3d": "nulearn.flavor.physics.moments3d",
    "nulearn.flavor.transport": "nulearn.flavor.physics.transport",
    "nulearn.flavor.transport.analytic": "nulearn.flavor.physics.transport.analytic",
    "nulearn.flavor.transport.background": "nulearn.flavor.physics.transport.background",
    "nulearn.flavor.transport.characteristics": "nulearn.flavor.physics.transport.characteristics",
    "nulearn.flavor.transport.equilibrium": "nulearn.flavor.physics.transport.equilibrium",
    "nulearn.flavor.transport.opacities": "nulearn.flavor.physics.transport.opacities",
    "nulearn.flavor.transport.profile": "nulearn.flavor.physics.transport.profile",
    "nulearn.flavor.transport.solver": "nulearn.flavor.physics.transport.solver",
    "nulearn.flavor.transport.dataset": "nulearn.flavor.data.realistic",
    "nulearn.flavor.transport.resolution": "nulearn.flavor.data.label_resolution",
    "nulearn.flavor.sampling": "nulearn.flavor.data.sampling",
    "nulearn.flavor.labelling": "nulearn.flavor.data.labelling",
    "nulearn.flavor.generate": "nulearn.flavor.data.generate",
    "nulearn.flavor.dataset": "nulearn.flavor.data.tables",
    "nulearn.flavor.models": "nulearn.flavor.models.classical",
    "nulearn.flavor.coordinates": "nulearn.flavor.models.coordinates",
    "nulearn.flavor.forward_coordinates": "nulearn.flavor.models.forward_coordinates",
    "nulearn.flavor.mlp_config": "nulearn.flavor.models.mlp.config",
    "nulearn.flavor.mlp_network": "nulearn.flavor.models.mlp.network",
    "nulearn.flavor.mlp": "nulearn.flavor.models.mlp.classifier",
    "nulearn.flavor.mlp_tuning": "nulearn.flavor.models.mlp.tuning",
    "nulearn.flavor.growth_models": "nulearn.flavor.models.growth",
    "nulearn.flavor.domain_adaptation": "nulearn.flavor.models.domain_adaptation",
    "nulearn.flavor.evaluation": "nulearn.flavor.evaluation.scoring",
    "nulearn.flavor.ceiling": "nulearn.flavor.evaluation.ceiling",
    "nulearn.flavor.snapshot": "nulearn.flavor.deploy.snapshot",
    "nulearn.flavor.reproduce": "nulearn.flavor.studies.reproduce",
    "nulearn.flavor.realistic_study": "nulearn.flavor.studies.realistic",
    "nulearn.flavor.realistic_report": "nulearn.flavor.studies.realistic.report",
    "nulearn.flavor.deep_study": "nulearn.flavor.studies.deep.run",
}

#: (old module path, name) -> new module, where an old module was split.
MOVED_NAMES: dict[tuple[str, str], str] = {
    ("nulearn.flavor.moments3d", "generate3d"): "nulearn.flavor.data.generate3d",
    ("nulearn.flavor.moments3d", "_isotropic_unit"): "nulearn.flavor.data.generate3d",
    ("nulearn.flavor.moments3d", "default_models3d"): "nulearn.flavor.evaluation.models3d",
    ("nulearn.flavor.moments3d", "compare_crossing_models3d"): "nulearn.flavor.evaluation.models3d",
    ("nulearn.flavor.growth_models", "log_growth"): "nulearn.flavor.data.growth",
    ("nulearn.flavor.growth_models", "growth_dataset"): "nulearn.flavor.data.growth",
    ("nulearn.flavor.growth_models", "DEPTH_BINS"): "nulearn.flavor.evaluation.growth",
    ("nulearn.flavor.growth_models", "error_by_depth"): "nulearn.flavor.evaluation.growth",
    ("nulearn.flavor.growth_models", "evaluate_growth_models"): "nulearn.flavor.evaluation.growth",
    ("nulearn.flavor.models", "load_model_config"): "nulearn.flavor.models.registry",
    ("nulearn.flavor.models", "build_model"): "nulearn.flavor.models.registry",
    ("nulearn.flavor.models", "train_carded_model"): "nulearn.flavor.evaluation.fit",
    ("nulearn.flavor.evaluation", "split_dataset"): "nulearn.flavor.data.splits",
    ("nulearn.flavor.evaluation", "select_range"): "nulearn.flavor.data.splits",
    ("nulearn.flavor.evaluation", "parse_ranges"): "nulearn.flavor.data.splits",
    ("nulearn.flavor.evaluation", "fit_model"): "nulearn.flavor.evaluation.fit",
    ("nulearn.flavor.evaluation", "fit_and_evaluate"): "nulearn.flavor.evaluation.fit",
    ("nulearn.flavor.evaluation", "degree_sweep"): "nulearn.flavor.evaluation.fit",
    ("nulearn.flavor.realistic_study", "split_by_profile"): "nulearn.flavor.data.splits",
}
