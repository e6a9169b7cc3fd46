"""Alembic migrations of the star schema (run programmatically by `datamodel.bootstrap`)."""
