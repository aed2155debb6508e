"""Text made storable: what UTF-8 cannot encode replaced, long messages cut short.

A Python string may hold a lone surrogate (JSON's ``"\\ud800"`` decodes to one), which no
UTF-8 column can store: Arrow, Delta and SQLite's text all refuse it. Where text is only a
record of something (a refused event's detail, the reason a row was set aside),
:func:`storable_text` keeps it readable instead of refusing it.

>>> storable_text("card \\ud800 7")
'card \\ufffd 7'
>>> storable_text("x" * 50, limit=10)
'xxxxxxxxxx... (50 characters)'
"""

from __future__ import annotations

REPLACEMENT = "\ufffd"
"""U+FFFD, the character that stands for one that could not be encoded."""


def storable_text(text: str, *, limit: int | None = None) -> str:
    """``text`` with each code point UTF-8 cannot encode (a lone surrogate) replaced by
    U+FFFD, cut to ``limit`` characters (and saying so) when given.

    A valid surrogate pair left as two code points becomes the character it encodes.

    >>> storable_text("\\ud83d\\ude00") == "\\U0001F600"
    True
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if limit is not None and len(text) > limit:
        return f"{text[:limit]}... ({len(text)} characters)"
    return text


__all__ = ["REPLACEMENT", "storable_text"]
