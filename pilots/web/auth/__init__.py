from pilots.web.auth.views import bp

__all__ = ["bp"]
