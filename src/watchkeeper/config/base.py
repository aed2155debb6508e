"""The base every configuration section derives from: frozen, strict about unknown keys."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Section(BaseModel):
    """A configuration section: immutable, and an unknown key is an error, not a silent typo."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


__all__ = ["Section"]
