"""Physics of fast flavor instability: species and signs, moment validity, angular families, crossings,
growth rates, three-dimensional moments and the transport solver. Imports nothing from the ML layers."""
