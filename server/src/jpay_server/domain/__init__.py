"""Pure rules: no FastAPI, no SQLAlchemy, no I/O; time and randomness come in as arguments."""
