"""Labelled data: sampling schemes, the analytic crossing labels, generation (1D and 3D), table I/O,
realistic datasets from the transport solver, growth-rate datasets and splits."""
