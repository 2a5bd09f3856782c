"""Numbers written the way the reader's language writes them, fast enough for tables of thousands of cells.

Babel's ``format_decimal`` re-reads the locale and re-parses the pattern on every call (about 100 µs). The
results page of a large round formats tens of thousands of numbers, so this module asks Babel once per
pattern and locale and then formats with Python's own formatting of decimals: the same text as Babel for the patterns the templates use
(``#,##0``, ``0.0``, ``0.#``, ``#,##0.###`` …), rounding half to even, except that it never writes "-0".
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import cache

from babel import Locale
from babel.numbers import parse_pattern


@cache
def _pattern(pattern: str) -> tuple[int, int, bool]:
    """(minimum fraction digits, maximum fraction digits, grouped) of a decimal pattern."""
    parsed = parse_pattern(pattern)
    (low, high), grouping = parsed.frac_prec, parsed.grouping
    return low, high, grouping[0] < 100


@cache
def _symbols(locale: str) -> dict[int, str]:
    symbols = Locale.parse(locale).number_symbols["latn"]
    return str.maketrans({",": symbols["group"], ".": symbols["decimal"], "-": symbols["minusSign"]})


def formatter(locale: str) -> Callable[..., str]:
    """``number(value, pattern="#,##0")`` for one locale (``nl``: 1.234,5; ``en``: 1,234.5)."""
    table = _symbols(locale)

    def number(value: float | int | None, pattern: str = "#,##0") -> str:
        if value is None:
            return ""
        low, high, grouped = _pattern(pattern)
        exact = Decimal(repr(value)) if isinstance(value, float) else value  # as Babel does: 0.15 is 0.15, not 0.1499…
        text = f"{exact:{',' if grouped else ''}.{high}f}"
        if high > low:
            keep = len(text) - (high - low)
            stripped = text.rstrip("0")
            text = stripped if len(stripped) >= keep else text[:keep]
            text = text.rstrip(".")
        if text.startswith("-") and not text.strip("-0.,"):
            text = text[1:]  # no "-0"
        return text.translate(table)

    return number
