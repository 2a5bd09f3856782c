from pilots.web.results.views import bp

__all__ = ["bp"]
