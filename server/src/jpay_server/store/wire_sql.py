"""SQL that writes the wire form: JSON objects, times and amounts as domain.payments does.

A list page renders in the database: one JSON text per row, in the key order of
`domain.payments.to_wire`, so that a page of fifty payments needs no Python object per
column (bench/README.md). Each construct compiles for SQLite and for PostgreSQL;
tests/store/test_wire_sql.py holds the two spellings to `to_wire`, byte for byte after
parsing, for generated payments.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, SQLColumnExpression, String, case, literal_column
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from jpay_server.domain.channels import ChannelType
from jpay_server.domain.payments import PaymentStatus


class json_object(FunctionElement[str]):
    """A JSON object's text from (key, value) pairs, keys in the order given."""

    type = String()
    inherit_cache = True
    name = "json_object"


@compiles(json_object, "sqlite")
def _json_object_sqlite(element: json_object, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_object({compiler.process(element.clauses, **kw)})"


@compiles(json_object, "postgresql")
def _json_object_postgresql(element: json_object, compiler: SQLCompiler, **kw: Any) -> str:
    # json, not jsonb: jsonb reorders keys. As text: no JSON codec touches it on the way out.
    return f"CAST(json_build_object({compiler.process(element.clauses, **kw)}) AS TEXT)"


class wire_time(FunctionElement[str]):
    """A stored UTC time as `domain.payments.wire_time` writes it: DD/MM/YYYY HH:MM:SS."""

    type = String()
    inherit_cache = True
    name = "wire_time"


@compiles(wire_time, "sqlite")
def _wire_time_sqlite(element: wire_time, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite keeps the time as naive UTC text (store.tables.UTCDateTime); strftime truncates.
    return f"strftime('%d/%m/%Y %H:%M:%S', {compiler.process(element.clauses, **kw)})"


@compiles(wire_time, "postgresql")
def _wire_time_postgresql(element: wire_time, compiler: SQLCompiler, **kw: Any) -> str:
    moment = compiler.process(element.clauses, **kw)
    return f"to_char({moment} AT TIME ZONE 'UTC', 'DD/MM/YYYY HH24:MI:SS')"


class wire_amount(FunctionElement[str]):
    """Cents as `domain.money.format_cents` writes them: 2 decimals, a sign if negative."""

    type = String()
    inherit_cache = True
    name = "wire_amount"


@compiles(wire_amount, "sqlite")
def _wire_amount_sqlite(element: wire_amount, compiler: SQLCompiler, **kw: Any) -> str:
    cents = compiler.process(element.clauses, **kw)
    sign = f"CASE WHEN {cents} < 0 THEN '-' ELSE '' END"
    return f"printf('%s%d.%02d', {sign}, abs({cents}) / 100, abs({cents}) % 100)"


@compiles(wire_amount, "postgresql")
def _wire_amount_postgresql(element: wire_amount, compiler: SQLCompiler, **kw: Any) -> str:
    cents = compiler.process(element.clauses, **kw)
    sign = f"CASE WHEN {cents} < 0 THEN '-' ELSE '' END"
    # mod(), not %: a % in the statement's text would be taken for a parameter marker.
    whole, part = f"div(abs({cents}), 100)", f"mod(abs({cents}), 100)"
    return f"{sign} || CAST({whole} AS TEXT) || '.' || lpad(CAST({part} AS TEXT), 2, '0')"


def constant(value: str | int) -> ColumnElement[Any]:
    """A constant written into the statement, not bound: the statement binds only its filters."""
    if isinstance(value, bool):
        raise TypeError("a boolean is not a SQL constant here")
    if isinstance(value, int):
        return literal_column(str(int(value)))
    if "'" in value or "\\" in value:
        raise ValueError(f"not a plain SQL string: {value!r}")
    return literal_column(f"'{value}'")


def status_code(status: SQLColumnExpression[str]) -> ColumnElement[int]:
    """`PaymentStatus.code` of a stored status."""
    return case(*((status == constant(s.value), constant(s.code)) for s in PaymentStatus))


def channel_type_display(kind: SQLColumnExpression[str]) -> ColumnElement[str]:
    """`ChannelType.display` of a stored channel type."""
    return case(*((kind == constant(t.value), constant(t.display)) for t in ChannelType))
