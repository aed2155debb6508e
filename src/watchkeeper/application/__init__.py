"""Use cases over a workspace: the steps the CLI, the service and the agent call.

Each module takes an open :class:`~watchkeeper.workspace.Workspace` and composes the domain
packages below it (features, registry, alerts, monitoring) into one operation; the interface
layers above parse options and render results only.
"""
