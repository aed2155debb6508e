"""Use cases: the steps the CLI, the service, the agent and the Python API call.

Each module composes the domain packages below it (features, registry, alerts, monitoring,
training, rollout) into one operation; the interface layers above parse options and render
results only. Most take an open :class:`~watchkeeper.workspace.Workspace`; the training use
cases (:mod:`~watchkeeper.application.training`) open it themselves, since the clock they
open it with is the attempt's as-of moment.
"""
