"""The metadata store: SQLAlchemy on SQLite or PostgreSQL, its tables, migrations and statements."""
