"""nulearn: machine learning for neutrino physics.

Three pillars share one set of ML machinery (:mod:`nulearn.ml`):

* :mod:`nulearn.flavor`: fast flavor instability detection from angular moments;
* :mod:`nulearn.cosmo`: neutrino mass from weak-lensing maps;
* :mod:`nulearn.detector`: event classification, reconstruction and generation in detectors.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("nulearn")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
