from pilots.web.rounds.views import bp

__all__ = ["bp"]
