"""The one exception the catalogue builder raises for bad input."""

from __future__ import annotations


class CatalogError(ValueError):
    """The catalogue cannot be built from the data as given.

    ``problems`` lists every problem found (each names the dataset, agent or field), so a caller can show
    them all at once; the message joins them.
    """

    def __init__(self, problems: list[str] | tuple[str, ...] | str):
        self.problems: tuple[str, ...] = (problems,) if isinstance(problems, str) else tuple(problems)
        super().__init__("; ".join(self.problems))
