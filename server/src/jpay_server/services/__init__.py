"""Use cases, one async function per operation (the store style: docs/architecture.md)."""
