"""Train, evaluate and report the cosmic/neutrino segmentation study."""
