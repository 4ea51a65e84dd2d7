"""Physics of the liquid-xenon TPC: detector constants (:mod:`~nulearn.detector.tpc.physics.config`),
energy deposits of double-beta decays and gammas (:mod:`~nulearn.detector.tpc.physics.deposits`),
the induction and shaping response (:mod:`~nulearn.detector.tpc.physics.response`), the waveform
simulator (:mod:`~nulearn.detector.tpc.physics.simulator`) and the conventional reconstruction
(:mod:`~nulearn.detector.tpc.physics.reconstruction`). Imports nothing from the ML layers."""
