"""Evaluation of the CVN: efficiency and purity with binomial errors
(:mod:`~nulearn.detector.cvn.evaluation.selection`), uncertainty and the blanked-view test
(:mod:`~nulearn.detector.cvn.evaluation.uncertainty`) and attributions per view
(:mod:`~nulearn.detector.cvn.evaluation.interpretation`)."""
