"""Storage: tables, migrations, the Database, Core functions (docs/architecture.md)."""
