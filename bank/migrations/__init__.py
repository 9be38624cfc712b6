"""Alembic migrations of the bank schema (configured programmatically by bank.db.alembic_config)."""
