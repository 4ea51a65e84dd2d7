"""Evaluation of the cosmology pillar: the CNN against the baselines on the same maps
(:mod:`~nulearn.cosmo.evaluation.comparison`), the M_ν regressor's error and coverage
(:mod:`~nulearn.cosmo.evaluation.regression`), where the classifier looks
(:mod:`~nulearn.cosmo.evaluation.saliency`) and checks of the theory
(:mod:`~nulearn.cosmo.evaluation.theory_check`)."""
