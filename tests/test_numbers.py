"""The fast number formatter of the templates writes exactly what Babel writes (but never "-0")."""

from __future__ import annotations

from babel.numbers import format_decimal
from hypothesis import given
from hypothesis import strategies as st

from pilots.web.numbers import formatter

PATTERNS = ("#,##0", "0.0", "0.#", "#,##0.###", "#,##0.0", "0", "0.00")


@given(
    value=st.one_of(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False), st.integers(-(10**9), 10**9)),
    pattern=st.sampled_from(PATTERNS),
    locale=st.sampled_from(["nl", "en"]),
)
def test_same_text_as_babel(value, pattern, locale):
    expected = format_decimal(value, format=pattern, locale=locale)
    if expected.lstrip("-").strip("0.,") == "":
        expected = expected.lstrip("-")  # Babel writes "-0" for tiny negatives; a table should not
    assert formatter(locale)(value, pattern) == expected


def test_examples_a_reader_sees():
    assert formatter("nl")(1234567.891, "#,##0.###") == "1.234.567,891"
    assert formatter("en")(1234567.891, "#,##0.###") == "1,234,567.891"
    assert formatter("nl")(0.15, "0.0") == "0,2"  # half to even on the decimal value, as written
    assert formatter("nl")(12.0, "0.#") == "12"
    assert formatter("nl")(None) == ""
