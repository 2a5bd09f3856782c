from pilots.web.challenges.views import bp

__all__ = ["bp"]
