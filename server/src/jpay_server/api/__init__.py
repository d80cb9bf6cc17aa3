"""HTTP: a thin FastAPI shell over the services."""
