"""The bank's systems of record (SQLAlchemy 2 models, Alembic migrations) and a deterministic demo bank."""
