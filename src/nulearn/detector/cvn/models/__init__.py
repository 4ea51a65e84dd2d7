"""Models of the CVN: the boosted-tree baseline (:mod:`~nulearn.detector.cvn.models.baseline`), the
multi-view CNN (:mod:`~nulearn.detector.cvn.models.network`), its training and k-fold comparison
(:mod:`~nulearn.detector.cvn.models.training`) and hyperparameter search
(:mod:`~nulearn.detector.cvn.models.tuning`)."""
