"""A trained model's parts, shared by every layer: the estimator (binary, multiclass,
regression), its decision rule (threshold or class decision) and the estimators of its
performance before labels arrive. Training makes them, the registry stores them, serving and
monitoring use them."""
