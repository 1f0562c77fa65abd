"""The store: SQLAlchemy models, repositories (all SQL lives here), unit of work, Alembic migrations."""
