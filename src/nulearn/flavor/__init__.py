"""Fast flavor instability detection from angular moments (arXiv:2303.05560, arXiv:2310.03807).

The package is split by role; imports flow one way, physics -> data -> models -> evaluation ->
deploy / studies:

* :mod:`nulearn.flavor.physics`: species and the ELN sign table, moment validity, angular
  families (closures), crossings, growth rates, 3D moments, the transport solver;
* :mod:`nulearn.flavor.data`: sampling schemes, analytic labels, generation, table files,
  realistic (transport-solved) datasets, splits;
* :mod:`nulearn.flavor.models`: the registry of named classifier variants, classical
  estimators, coordinate maps, the PyTorch MLP;
* :mod:`nulearn.flavor.evaluation`: scores, the Bayes ceiling, fit-and-score with model cards;
* :mod:`nulearn.flavor.deploy`: exports (ONNX, TorchScript, C, Fortran) and snapshot flagging;
* :mod:`nulearn.flavor.studies`: the published numbers and the reproduction, realistic and
  deep-MLP studies.

The names below are the ones a user needs; each resolves on first use, so ``import
nulearn.flavor`` is fast and imports neither torch nor scikit-learn.

>>> import nulearn.flavor as flavor
>>> frame = flavor.generate("xln", "maxent", 200, seed=0, progress=False)
>>> sorted(set(frame["crossing"])) <= [0, 1]
True
>>> flavor.get_variant("lr2_phys").label
'LR (n = 2), physical coordinates'
"""

from nulearn.flavor._lazy import lazy_exports

_HOMES = {
    # physics
    "ELN_FEATURES": "nulearn.flavor.physics.species",
    "ELN_SIGN": "nulearn.flavor.physics.species",
    "SPECIES": "nulearn.flavor.physics.species",
    "XLN_FEATURES": "nulearn.flavor.physics.species",
    "feature_names": "nulearn.flavor.physics.species",
    "features_from_moments": "nulearn.flavor.physics.species",
    "validate_features": "nulearn.flavor.physics.validity",
    "FAMILIES": "nulearn.flavor.physics.families",
    "AngularFamily": "nulearn.flavor.physics.families",
    "get_family": "nulearn.flavor.physics.families",
    "register_family": "nulearn.flavor.physics.families",
    "CrossingResult": "nulearn.flavor.physics.crossings",
    "eln_from_distributions": "nulearn.flavor.physics.crossings",
    "find_crossings": "nulearn.flavor.physics.crossings",
    "StabilityConfig": "nulearn.flavor.physics.stability",
    "growth_rate": "nulearn.flavor.physics.stability",
    "growth_rate_from_moments": "nulearn.flavor.physics.stability",
    "features_from_moments3d": "nulearn.flavor.physics.moments3d",
    "label_moments3d": "nulearn.flavor.physics.moments3d",
    "SolverConfig": "nulearn.flavor.physics.transport",
    "solve_profile": "nulearn.flavor.physics.transport",
    # data
    "SCHEMES": "nulearn.flavor.data.sampling",
    "generate": "nulearn.flavor.data.generate",
    "generate3d": "nulearn.flavor.data.generate3d",
    "crossings_for_family": "nulearn.flavor.data.labelling",
    "label_moments": "nulearn.flavor.data.labelling",
    "Dataset": "nulearn.flavor.data.tables",
    "read_dataset": "nulearn.flavor.data.tables",
    "write_dataset": "nulearn.flavor.data.tables",
    "split_by_profile": "nulearn.flavor.data.splits",
    "split_dataset": "nulearn.flavor.data.splits",
    "realistic_dataset": "nulearn.flavor.data.realistic",
    # models
    "MODEL_VARIANTS": "nulearn.flavor.models.registry",
    "ModelVariant": "nulearn.flavor.models.registry",
    "build_model": "nulearn.flavor.models.registry",
    "get_variant": "nulearn.flavor.models.registry",
    "PhysicalCoordinates": "nulearn.flavor.models.coordinates",
    "MLPClassifier": "nulearn.flavor.models.mlp.classifier",
    "MLPConfig": "nulearn.flavor.models.mlp.classifier",
    # evaluation
    "BayesCeiling": "nulearn.flavor.evaluation.ceiling",
    "bayes_ceiling": "nulearn.flavor.evaluation.ceiling",
    "ModelEvaluation": "nulearn.flavor.evaluation.scoring",
    "evaluate_model": "nulearn.flavor.evaluation.scoring",
    "fit_and_evaluate": "nulearn.flavor.evaluation.fit",
    "train_carded_model": "nulearn.flavor.evaluation.fit",
    # deploy
    "export_model": "nulearn.flavor.deploy.export",
    "flag_snapshot": "nulearn.flavor.deploy.flagging",
    "load_deployable": "nulearn.flavor.deploy.loading",
    # studies
    "PUBLISHED": "nulearn.flavor.studies.published",
    "ReproduceConfig": "nulearn.flavor.studies.reproduce",
    "reproduce": "nulearn.flavor.studies.reproduce",
    "write_report": "nulearn.flavor.studies.reproduce",
    "StudyConfig": "nulearn.flavor.studies.realistic",
    "run_study": "nulearn.flavor.studies.realistic",
    "study_report": "nulearn.flavor.studies.realistic",
}
__all__ = sorted(_HOMES)
__getattr__, __dir__ = lazy_exports(__name__, _HOMES)
