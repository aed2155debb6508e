"""The serving fixtures (a workspace with trained versions and a test client), shared here."""

from tests.serving.conftest import service, trained

__all__ = ["service", "trained"]
