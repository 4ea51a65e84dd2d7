"""Models of the TPC waveforms: the shared convolutional networks and training steps
(:mod:`~nulearn.detector.tpc.models.networks`, :mod:`~nulearn.detector.tpc.models.training`), the
energy regressor (:mod:`~nulearn.detector.tpc.models.energy`), the site discriminator
(:mod:`~nulearn.detector.tpc.models.discrimination`) and the conditional WGAN-GP
(:mod:`~nulearn.detector.tpc.models.gan_networks`, :mod:`~nulearn.detector.tpc.models.gan_training`)."""
