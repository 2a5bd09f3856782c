from pilots.web.auth import sso as _sso  # noqa: F401 - adds the single sign-on routes to the blueprint
from pilots.web.auth.views import bp

__all__ = ["bp"]
