"""The DCAT-AP catalogue over HTTP: /catalog (content negotiation), /catalog.ttl, .jsonld, .rdf.
It follows the programme's own technical principles: CORS, caching headers, an ETag."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, request

from pilots import dcat
from pilots.security.access import ANYONE, allow
from pilots.services import catalogue

bp = Blueprint("catalogue", __name__)

EXTENSIONS = {"ttl": "turtle", "jsonld": "json-ld", "rdf": "rdf/xml", "nt": "n-triples"}


def _respond(format: str):
    etag, load = catalogue.current(current_app.config["BASE_URL"], format)
    if request.if_none_match.contains(etag):  # unchanged: answer 304 without building anything
        response = current_app.response_class(status=304)
    else:
        rendered = load()
        response = current_app.response_class(rendered.body, mimetype=rendered.media_type)
    response.set_etag(etag)
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Vary"] = "Accept"
    return response.make_conditional(request)


@bp.get("/catalog")
@allow(ANYONE)
def negotiated():
    accept = request.headers.get("Accept", "")
    # No Accept header means any type (RFC 9110): the default format. A header that accepts none of ours: 406.
    format = dcat.negotiate(accept, default=None) if accept.strip() else dcat.DEFAULT_FORMAT
    if format is None:
        abort(406)
    return _respond(format)


@bp.get("/catalog.<extension>")
@allow(ANYONE)
def by_extension(extension: str):
    if extension not in EXTENSIONS:
        abort(404)
    return _respond(EXTENSIONS[extension])
