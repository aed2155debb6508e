"""The scoring service: a FastAPI app over a workspace, its metrics, and a Python client."""
