"""Fire drills for the monitoring setup: ``watchkeeper drill --scenario NAME``.

:mod:`~watchkeeper.drill.scenarios` holds the named drifts, :mod:`~watchkeeper.drill.traffic`
copies recent traffic, :mod:`~watchkeeper.drill.monitored_windows` recomputes what monitoring
would see, :mod:`~watchkeeper.drill.findings` judges monitors and alert rules, and
:mod:`~watchkeeper.drill.run` ties them together without writing to any store.
"""
