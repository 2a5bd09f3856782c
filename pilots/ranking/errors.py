"""The one exception the ranking engine raises for bad input."""

from __future__ import annotations


class RankingInputError(ValueError):
    """The input cannot be ranked as given: the message says what is wrong and where.

    Every check of the engine (the JSON contract, the dataclasses, AHP matrices) raises this class and
    nothing else for bad input, so a caller (the ``flask rank`` command, a web view) can catch one
    exception and show its message to the person who prepared the input.
    """
