from pilots.web.reports.views import bp

__all__ = ["bp"]
