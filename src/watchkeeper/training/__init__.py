"""Training: trainers, decision thresholds, training windows, the validation gate, retrain policy.

Each concept is a module of its own; import from it (``watchkeeper.training.trainers``...).
Nothing heavy is imported here, so ``import watchkeeper.training`` stays cheap.
"""
