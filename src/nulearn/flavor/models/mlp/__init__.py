"""The class-weighted deep MLP: configuration, network, scikit-learn classifier and Optuna tuning."""
