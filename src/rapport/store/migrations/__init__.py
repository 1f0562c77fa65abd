"""Alembic migrations of the store, packaged so that `rapport.store.database.upgrade` works when installed."""
