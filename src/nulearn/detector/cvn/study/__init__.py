"""The CVN study: cross-validation, ensemble and run folder (:mod:`~nulearn.detector.cvn.study.run`)
and its report (:mod:`~nulearn.detector.cvn.study.report`)."""
