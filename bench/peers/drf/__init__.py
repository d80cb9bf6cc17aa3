"""Django REST Framework + simplejwt serving the benchmark's three endpoints (issue 13)."""
