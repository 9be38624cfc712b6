"""Alembic environment: run migrations online against the URL set by bank.db.alembic_config."""

from __future__ import annotations

from alembic import context

from bank.db import make_engine
from bank.models import Base

target_metadata = Base.metadata


def run_migrations_offline() -> None:
    """Emit SQL without a connection (alembic upgrade --sql)."""
    config = context.config
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run against a live connection; SQLite uses batch mode so ALTERs work."""
    config = context.config
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


if not hasattr(context, "config"):
    pass  # imported outside Alembic (e.g. by pytest --doctest-modules): nothing to run
elif context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
