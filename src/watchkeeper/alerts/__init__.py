"""Alerts: rules over the metric series, deduplicated and routed to the model's owner."""
