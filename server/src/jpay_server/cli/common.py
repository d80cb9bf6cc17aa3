"""What every command shares: settings, a unit of work, output as a table or JSON, errors."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from enum import Enum
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text
from sqlalchemy import Connection

from jpay_server.errors import JPayError
from jpay_server.services.context import Context
from jpay_server.services.schema import SchemaOutOfDate
from jpay_server.settings import Settings, SettingsError, load_settings
from jpay_server.store.db import Database, open_database

T = TypeVar("T")
JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of a table.")]
stdout = Console()
stderr = Console(stderr=True)


class CommandError(Exception):
    """A failure to report to the operator as one line."""


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print a one-line error and return the Exit to raise."""
    sys.stderr.write(f"error: {' '.join(message.split())}\n")  # one line, never wrapped
    return typer.Exit(code)


def settings() -> Settings:
    """The settings, or a one-line error."""
    try:
        return load_settings()
    except (SettingsError, ValueError) as exc:
        raise fail(str(exc).splitlines()[0]) from None


def run(work: Callable[[Context, Database], Awaitable[T]]) -> T:
    """Run async work with a context and database; turn known errors into one-line exits."""

    async def main() -> T:
        current = settings()
        database = open_database(current.database_url)
        try:
            return await work(Context.from_settings(current), database)
        finally:
            await database.dispose()

    try:
        return asyncio.run(main())
    except JPayError as exc:
        raise fail(exc.detail) from None
    except (SchemaOutOfDate, CommandError) as exc:
        raise fail(str(exc)) from None
    except OSError as exc:
        raise fail(f"cannot reach the database: {exc.strerror or exc}") from None


def read(query: Callable[[Connection], T]) -> T:
    """Run one read-only query function (see Database.read)."""

    async def work(_ctx: Context, database: Database) -> T:
        return await database.read(query)

    return run(work)


def plain(value: Any) -> Any:
    """A value as JSON and tables show it."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple | list | frozenset | set):
        return [plain(v) for v in value]
    return value


def emit(record: Mapping[str, Any], as_json: bool) -> None:
    """Print one record: a JSON object, or one `key  value` line per field.

    Plain lines rather than a table: a value (a secret shown once) is never cut to fit a narrow
    terminal, and nothing in it is read as markup.
    """
    data = {k: plain(v) for k, v in record.items()}
    if as_json:
        sys.stdout.write(json.dumps(data) + "\n")
        return
    width = max((len(key) for key in data), default=0)
    lines = (f"{key.ljust(width)}  {_cell(value)}\n" for key, value in data.items())
    sys.stdout.write("".join(lines))


def emit_rows(
    rows: Sequence[Mapping[str, Any]], columns: Sequence[str], as_json: bool, key: str
) -> None:
    """Print many records: `{key: [...]}` as JSON, or a table."""
    data = [{c: plain(row[c]) for c in columns} for row in rows]
    if as_json:
        sys.stdout.write(json.dumps({key: data}) + "\n")
        return
    table = Table(*columns)
    for row in data:
        table.add_row(*(Text(_cell(value)) for value in row.values()))  # Text: never markup
    stdout.print(table)


def _cell(value: Any) -> str:
    """A value as one line of visible text: lists joined, control characters escaped."""
    shown = ", ".join(map(str, value)) if isinstance(value, list) else value
    return "-" if shown in (None, "") else visible(str(shown))


def visible(text: str) -> str:
    """`text` with every control or format character (terminal escapes) shown as `\\xNN`."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)
