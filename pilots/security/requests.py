"""Guards on incoming requests that no single view should have to remember."""

from __future__ import annotations

from flask import abort, request
from werkzeug.routing import IntegerConverter

#: Largest id a route accepts: the range of a PostgreSQL integer (larger numbers cannot name anything).
MAX_ID = 2**31 - 1


class BoundedIntConverter(IntegerConverter):
    """``<int:...>`` in every route: a number beyond any id is a 404, not a database overflow."""

    def __init__(self, map, *args, **kwargs) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def refuse_control_characters() -> None:
    """``before_request``: NUL bytes in a query or form value are refused (PostgreSQL cannot store them): in every
    value of a field sent several times, and in the field's name."""
    for values in (request.args, request.form):
        for name, value in values.items(multi=True):
            if "\x00" in name or "\x00" in value:
                abort(400)
