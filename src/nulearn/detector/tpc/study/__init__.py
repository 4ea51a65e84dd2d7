"""The TPC studies on simulated events (:mod:`~nulearn.detector.tpc.study.run`) and their report
sections (:mod:`~nulearn.detector.tpc.study.report`)."""
