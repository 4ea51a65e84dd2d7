"""Evaluation of the TPC models: energy resolution and the line-training pitfall
(:mod:`~nulearn.detector.tpc.evaluation.energy`), site discrimination
(:mod:`~nulearn.detector.tpc.evaluation.discrimination`) and the generator against the simulator
(:mod:`~nulearn.detector.tpc.evaluation.generation`)."""
