"""The model registry: versions with verified artifacts, aliases, status history, lineage.

Import from the modules (``watchkeeper.registry.registry``, ``.lineage``...); nothing heavy
is imported here.
"""
