"""Crossing classifiers and regressors: the registry of named variants, classical estimators,
coordinate maps, the deep MLP, growth-rate regressors and domain adaptation."""
