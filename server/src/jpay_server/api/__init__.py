"""HTTP: a thin Starlette shell over the services (routes declared in api/routing.py)."""
