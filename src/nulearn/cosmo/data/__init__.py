"""Data of the cosmology pillar: Gaussian and lognormal convergence maps with shape noise, their
HDF5 storage (:mod:`~nulearn.cosmo.data.maps`) and an endless stream of fresh maps for training
(:mod:`~nulearn.cosmo.data.streaming`)."""
