"""SQL that writes the wire form: JSON objects, times and amounts as domain.payments does.

A list page renders in the database: one JSON text per row, in the key order of
`domain.payments.to_wire`, so that a page of fifty payments needs no Python object per
column (bench/README.md). Each construct compiles for SQLite and for PostgreSQL;
tests/store/test_wire_sql.py holds both spellings to `to_wire` for generated payments: the
same JSON values, types and key order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, SQLColumnExpression, String, case, literal_column
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from jpay_server.domain.channels import ChannelType
from jpay_server.domain.payments import PaymentStatus


class _Text(FunctionElement[str]):
    """A text-valued SQL construct; _SPELLINGS says how each dialect writes it."""

    type = String()


class json_object(_Text):
    """A JSON object's text from (key, value) pairs, keys in the order given."""

    name = "json_object"
    inherit_cache = True  # SQLAlchemy asks each class for itself


class wire_time(_Text):
    """A stored UTC time as `domain.payments.wire_time` writes it: DD/MM/YYYY HH:MM:SS."""

    name = "wire_time"
    inherit_cache = True  # SQLAlchemy asks each class for itself


class wire_amount(_Text):
    """Cents as `domain.money.format_cents` writes them: 2 decimals, a sign if negative."""

    name = "wire_amount"
    inherit_cache = True  # SQLAlchemy asks each class for itself


_SIGN = "CASE WHEN {0} < 0 THEN '-' ELSE '' END"
# Each construct per dialect, `{0}` standing for its arguments as compiled.
_SPELLINGS: dict[tuple[type[_Text], str], str] = {
    (json_object, "sqlite"): "json_object({0})",
    # json, not jsonb: jsonb reorders keys. As text: no JSON codec touches it on the way out.
    (json_object, "postgresql"): "CAST(json_build_object({0}) AS TEXT)",
    # SQLite keeps times as naive UTC text (store.tables.UTCDateTime); strftime truncates.
    (wire_time, "sqlite"): "strftime('%d/%m/%Y %H:%M:%S', {0})",
    (wire_time, "postgresql"): "to_char({0} AT TIME ZONE 'UTC', 'DD/MM/YYYY HH24:MI:SS')",
    (wire_amount, "sqlite"): f"printf('%s%d.%02d', {_SIGN}, abs({{0}}) / 100, abs({{0}}) % 100)",
    # mod(), not %: a % in the statement's text would be taken for a parameter marker.
    (wire_amount, "postgresql"): f"{_SIGN} || CAST(div(abs({{0}}), 100) AS TEXT) || '.'"
    " || lpad(CAST(mod(abs({0}), 100) AS TEXT), 2, '0')",
}


def _spell(template: str) -> Callable[..., str]:
    def compile_(element: _Text, compiler: SQLCompiler, **kw: Any) -> str:
        return template.format(compiler.process(element.clauses, **kw))

    return compile_


for (_construct, _dialect), _template in _SPELLINGS.items():
    compiles(_construct, _dialect)(_spell(_template))


def constant(value: str | int) -> ColumnElement[Any]:
    """A constant written into the statement, not bound: the statement binds only its filters."""
    if isinstance(value, bool):
        raise TypeError("a boolean is not a SQL constant here")
    if isinstance(value, int):
        return literal_column(str(value))
    if "'" in value or "\\" in value:
        raise ValueError(f"not a plain SQL string: {value!r}")
    return literal_column(f"'{value}'")


def status_code(status: SQLColumnExpression[str]) -> ColumnElement[int]:
    """`PaymentStatus.code` of a stored status."""
    return case(*((status == constant(s.value), constant(s.code)) for s in PaymentStatus))


def channel_type_display(kind: SQLColumnExpression[str]) -> ColumnElement[str]:
    """`ChannelType.display` of a stored channel type."""
    return case(*((kind == constant(t.value), constant(t.display)) for t in ChannelType))
