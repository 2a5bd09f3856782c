"""Error pages for 400, 403, 404, 405, 429 and 500, in the visitor's language."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from pilots.extensions import db
from pilots.services import errors as service_errors

API_PREFIX = "/api/"

PAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. If you sent a form, reload the page and try again.")),
    403: (_l("Access denied"), _l("You do not have permission to open this page.")),
    404: (_l("Page not found"), _l("This page does not exist, or no longer exists.")),
    405: (_l("Method not allowed"), _l("This page cannot be used this way.")),
    429: (_l("Too many attempts"), _l("You tried this too often in a short time. Wait a few minutes and try again.")),
    500: (_l("Something went wrong"), _l("An unexpected error occurred. It has been logged; please try again later.")),
}
CSRF_MESSAGE = _l("The form was too old or did not come from this site. Reload the page and send it again.")


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def render_error(code: int, message=None):
    title, default_message = PAGES.get(code, PAGES[500] if code >= 500 else PAGES[400])
    message = message or default_message
    if _wants_json():
        return jsonify({"error": str(title), "message": str(message), "status": code}), code
    return render_template("errors/error.html", title=title, message=message, code=code), code


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return render_error(400, CSRF_MESSAGE)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        if request.blueprint is None and request.path.startswith(API_PREFIX):
            # An address under the API that no route matched (an id beyond any id, say): the API's JSON answer
            # with its headers, not the site's HTML page.
            from pilots.web.api.views import unrouted_error

            return unrouted_error(error)
        response = render_error(error.code)
        if error.code == 405 and getattr(error, "valid_methods", None):
            body, code = response
            return body, code, {"Allow": ", ".join(error.valid_methods)}
        return response

    # A service that finds no such object, or refuses the actor, ends the request the same way everywhere.
    @app.errorhandler(service_errors.NotFound)
    def not_found(error: service_errors.NotFound):
        return render_error(404)

    @app.errorhandler(service_errors.Forbidden)
    def forbidden(error: service_errors.Forbidden):
        return render_error(403)

    @app.errorhandler(InternalServerError)
    def server_error(error: InternalServerError):
        db.session.rollback()
        try:
            return render_error(500)
        except Exception:  # the page itself needs the database (the signed-in user); answer without it
            app.logger.exception("the error page could not be rendered")
            # Rendered straight from the Jinja environment: no context processors, no locale, no database.
            return app.jinja_env.get_template("errors/plain.html").render(), 500
