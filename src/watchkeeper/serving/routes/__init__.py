"""The service's routes, one router per concern, assembled by
:func:`watchkeeper.serving.app.create_app`: ``scoring`` (``/v1/score``, ``/v1/score/batch``),
``intake`` (``/v1/outcomes``, ``/v1/predictions``), ``rollout`` (``/v1/models``,
``/v1/rollout`` and its admin actions), ``health`` (``/healthz``, ``/readyz``) and
``metrics_route`` (``/metrics``, ``/dashboard``); ``context`` is what they share.
"""
