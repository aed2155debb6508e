"""Storage locations: a path on this machine, or an object-store URL. One rule for all stores.

A location is local when it has no URL scheme (``.watchkeeper/events``, ``/data/events``,
``~/ws``, a Windows drive ``C:\\data``) or the ``file://`` scheme; any other scheme
(``s3://``, ``gs://``, ``az://``, ``memory://``) names an object store reached through its
library with the workspace's ``storage_options``.

>>> is_local(".watchkeeper/events"), is_local("file:///data/events"), is_local("s3://b/e")
(True, True, False)
>>> is_local("C:\\\\data\\\\events"), local_path("file:///data/events")
(True, '/data/events')
"""

from __future__ import annotations

from urllib.parse import urlparse


def is_local(location: str) -> bool:
    """True when ``location`` is a path on this machine rather than an object-store URL."""
    scheme = urlparse(location).scheme
    return scheme in ("", "file") or (len(scheme) == 1 and location[1:3] in (":\\", ":/"))


def local_path(location: str) -> str:
    """The path of a local location (``file://`` removed); an object-store URL is refused.

    >>> local_path("s3://bucket/events")
    Traceback (most recent call last):
    ...
    ValueError: s3://bucket/events is not a local path
    """
    if not is_local(location):
        raise ValueError(f"{location} is not a local path")
    return location.removeprefix("file://")


__all__ = ["is_local", "local_path"]
