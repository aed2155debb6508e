"""Locations: a path on this machine, or a URL. One rule for every store and every layer.

A location is local when it has no URL scheme (``.watchkeeper/events``, ``/data/events``,
``~/ws``, a Windows drive ``C:\\data``) or the ``file://`` scheme; any other scheme
(``s3://``, ``gs://``, ``az://``, ``memory://``) names an object store reached through its
library with the workspace's ``storage_options``. The module imports nothing of watchkeeper,
so the configuration checks a location by the same rule the stores open it by.

>>> is_local(".watchkeeper/events"), is_local("file:///data/events"), is_local("s3://b/e")
(True, True, False)
>>> is_local("C:\\\\data\\\\events"), local_path("file:///data/events")
(True, '/data/events')
"""

from __future__ import annotations

import re
from urllib.parse import urlparse

_URL_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_DRIVE_SEPARATORS = (":\\", ":/")


def has_url_scheme(location: str) -> bool:
    """True when ``location`` starts with a URL scheme and ``://`` (``s3://``, ``redis://``).

    >>> has_url_scheme("s3://bucket/events"), has_url_scheme("postgresql+psycopg://u@host/db")
    (True, True)
    >>> has_url_scheme(".watchkeeper/events"), has_url_scheme("C:\\\\data")
    (False, False)
    """
    return _URL_SCHEME.match(location) is not None


def has_drive(location: str) -> bool:
    """True when ``location`` starts like a Windows drive path (``C:\\data``, ``C:/data``).

    >>> has_drive("C:\\\\data"), has_drive("D:/data"), has_drive("s3://bucket")
    (True, True, False)
    """
    return location[1:3] in _DRIVE_SEPARATORS


def is_absolute_or_url(location: str) -> bool:
    """True when ``location`` is a URL or a path that does not depend on the current folder.

    Absolute: rooted (``/``, ``\\``), in the home folder (``~``) or on a Windows drive.

    >>> [is_absolute_or_url(p) for p in ("/data", "~/ws", "C:\\\\data", "gs://b/k", "ws/data")]
    [True, True, True, True, False]
    """
    return has_url_scheme(location) or location.startswith(("/", "~", "\\")) or has_drive(location)


def is_local(location: str) -> bool:
    """True when ``location`` is a path on this machine rather than an object-store URL."""
    scheme = urlparse(location).scheme
    return scheme in ("", "file") or (len(scheme) == 1 and has_drive(location))


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


__all__ = ["has_drive", "has_url_scheme", "is_absolute_or_url", "is_local", "local_path"]
