"""The ASGI factory uvicorn runs in each API process; it decides what runs beside the API.

`api`, `cli` and `worker` are shells that never import each other (the import-linter contract
in pyproject.toml); the modules that put them together into processes live here, above them:
this one for `jpay-server serve`'s processes, `jpay_server.main` for the command itself.
"""

from __future__ import annotations

from fastapi import FastAPI

from jpay_server.api.app import create_app
from jpay_server.logs import configure_logging
from jpay_server.services.runtime import Background
from jpay_server.settings import load_settings
from jpay_server.worker import runner


def create_app_from_env() -> FastAPI:
    """The app with settings from the environment, and the worker in-process unless disabled."""
    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    background: tuple[Background, ...] = (runner.run,) if settings.worker_in_process else ()
    return create_app(settings, background=background)
