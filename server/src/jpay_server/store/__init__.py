"""Storage: SQLAlchemy 2 tables, one repository per aggregate, Alembic migrations."""
