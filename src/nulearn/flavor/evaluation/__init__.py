"""Scoring: per-class metrics, the Bayes ceiling, fit-and-score with model cards, growth-rate and
3D-model comparisons."""
