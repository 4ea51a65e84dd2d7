"""Data of the TPC networks: simulated waveform images with truth and the conventional
reconstruction (:mod:`~nulearn.detector.tpc.data.dataset`), and the labels of the conditional
generator (:mod:`~nulearn.detector.tpc.data.labels`)."""
