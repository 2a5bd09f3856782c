from pilots.web.rounds import (
    city_weights,  # noqa: F401  (registers the city's weights pages on bp)
    pledges,  # noqa: F401  (registers the pledges pages on bp)
)
from pilots.web.rounds.views import bp

__all__ = ["bp"]
