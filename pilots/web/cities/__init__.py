from pilots.web.cities.views import bp

__all__ = ["bp"]
