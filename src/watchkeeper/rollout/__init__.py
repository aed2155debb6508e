"""Canary rollout: a deterministic traffic split, and a guarded promote-or-roll-back controller."""
