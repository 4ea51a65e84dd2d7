"""Theory of the cosmology pillar: the cosmology and CAMB's nonlinear matter power
(:mod:`~nulearn.cosmo.theory.power`), Limber convergence spectra (:mod:`~nulearn.cosmo.theory.lensing`)
and the flat-sky Fourier grid and band powers (:mod:`~nulearn.cosmo.theory.fourier`). Imports
nothing from the data, model or study layers."""
