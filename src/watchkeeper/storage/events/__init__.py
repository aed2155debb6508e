"""The event store: Delta Lake tables, their definitions, the local spool, dead letters."""
