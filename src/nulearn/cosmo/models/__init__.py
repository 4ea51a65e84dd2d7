"""Models of the cosmology pillar: the non-ML baselines (:mod:`~nulearn.cosmo.models.baselines`),
the map CNN (:mod:`~nulearn.cosmo.models.network`), its classifier and M_ν regressor
(:mod:`~nulearn.cosmo.models.classifier`, :mod:`~nulearn.cosmo.models.regressor`) and their
hyperparameter search (:mod:`~nulearn.cosmo.models.tuning`)."""
