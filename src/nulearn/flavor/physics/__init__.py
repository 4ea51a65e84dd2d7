"""Physics of fast flavor instability: species and signs, moment validity, angular families, crossings,
growth rates, three-dimensional moments and the transport solver. Imports nothing from the ML layers.

* :mod:`~nulearn.flavor.physics.species`: species, feature names, the ELN(-XLN) sign table;
* :mod:`~nulearn.flavor.physics.validity`: physical ranges of number densities and flux factors;
* :mod:`~nulearn.flavor.physics.families`: angular families (maximum entropy, Gaussian, yours);
* :mod:`~nulearn.flavor.physics.crossings`: zero crossings of G(mu);
* :mod:`~nulearn.flavor.physics.stability`: growth rates of the fast instability;
* :mod:`~nulearn.flavor.physics.moments3d`: rotation-invariant 3D moments and the 3D test;
* :mod:`~nulearn.flavor.physics.transport`: gray transport on supernova profiles.

Names resolve on first use.
"""

from nulearn.flavor._lazy import lazy_exports

_SPECIES = "nulearn.flavor.physics.species"
_FAMILIES = "nulearn.flavor.physics.families"
_CROSSINGS = "nulearn.flavor.physics.crossings"
_STABILITY = "nulearn.flavor.physics.stability"
_MOMENTS3D = "nulearn.flavor.physics.moments3d"
_HOMES = {
    "ELN_FEATURES": _SPECIES,
    "ELN_SIGN": _SPECIES,
    "ELN_SPECIES": _SPECIES,
    "SPECIES": _SPECIES,
    "XLN_FEATURES": _SPECIES,
    "feature_names": _SPECIES,
    "features_from_moments": _SPECIES,
    "species_signs": _SPECIES,
    "validate_features": "nulearn.flavor.physics.validity",
    "validate_moments": "nulearn.flavor.physics.validity",
    "FAMILIES": _FAMILIES,
    "AngularFamily": _FAMILIES,
    "get_family": _FAMILIES,
    "register_family": _FAMILIES,
    "CrossingResult": _CROSSINGS,
    "crossings_from_log_quadratic": _CROSSINGS,
    "eln_from_distributions": _CROSSINGS,
    "find_crossings": _CROSSINGS,
    "mu_grid": _CROSSINGS,
    "GrowthRates": _STABILITY,
    "StabilityConfig": _STABILITY,
    "growth_rate": _STABILITY,
    "growth_rate_from_moments": _STABILITY,
    "growth_table": _STABILITY,
    "features_from_moments3d": _MOMENTS3D,
    "label_moments3d": _MOMENTS3D,
}
__all__ = sorted(_HOMES)
__getattr__, __dir__ = lazy_exports(__name__, _HOMES)
