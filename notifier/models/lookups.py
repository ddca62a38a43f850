"""`field__any_of=[...]`: `IN`, written as one array parameter on PostgreSQL.

A batch's claim, renewal and release name its 500 delivery ids. As `IN (%s, ...)` that is
500 parameters, each adapted by Django and psycopg and the statement split anew by psycopg
(long statements are not cached): a claim of 500 took 15 ms of the worker's CPU, 11 ms as
`= ANY(%s)`, whose list is one parameter that psycopg sends as one array. Integers go as
the array's text ('{1,2,3}', cast): psycopg adapts a list element by element in Python.
Other databases get `IN`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models
from django.db.models.lookups import In


@models.Field.register_lookup
class AnyOf(In):
    lookup_name = "any_of"

    def as_postgresql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        if not self.rhs_is_direct_value():  # a subquery: IN (SELECT ...), as In writes it
            sql, params = super().as_sql(compiler, connection)
            return sql, list(params)
        lhs, lhs_params = self.process_lhs(compiler, connection)
        field = self.lhs.output_field
        if isinstance(field, models.IntegerField) and all(type(v) is int for v in self.rhs):
            # Prepared already (In.get_prep_lookup): plain ints, whose text is the literal's.
            return f"{lhs} = ANY(%s::bigint[])", [*lhs_params, integer_array(self.rhs)]
        values = [field.get_db_prep_value(value, connection) for value in self.rhs]
        return f"{lhs} = ANY(%s)", [*lhs_params, values]


def integer_array(values: Any) -> str:
    """PostgreSQL's text form of an array of integers: {1,2,3}."""
    return "{" + ",".join(map(str, values)) + "}"


def text_array(values: Iterable[str]) -> str:
    """PostgreSQL's text form of an array of strings: each quoted, `"` and `\\` escaped."""
    quoted = (value.replace("\\", "\\\\").replace('"', '\\"') for value in values)
    return "{" + ",".join(f'"{value}"' for value in quoted) + "}"
