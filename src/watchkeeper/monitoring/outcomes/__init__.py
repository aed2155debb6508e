"""Outcomes: labels with their maturity per task, performance per task, money, metric names."""
