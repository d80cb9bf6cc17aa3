"""The merchant dashboard: server-rendered pages at /dashboard/ over the services."""
