"""Labelled wire-plane image sets: simulation in batches, ``.npz`` files."""
