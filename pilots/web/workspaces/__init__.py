from pilots.web.workspaces.views import bp

__all__ = ["bp"]
