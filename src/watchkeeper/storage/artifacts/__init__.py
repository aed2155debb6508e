"""The artifact store: content-addressed bytes in a local folder or any fsspec URL."""
