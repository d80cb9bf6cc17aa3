"""The `jpay` fixture (run the CLI's real entry point) for every CLI test module."""

from tests.cli.test_cli import jpay  # noqa: F401 - re-exported as a fixture
