"""Error pages in both languages, the health check, and security headers on every response."""

from __future__ import annotations

import re

import pytest
from flask import Blueprint

from pilots.security.access import ANYONE, allow
from tests.conftest import make_app


@pytest.mark.parametrize("lang,text", [("nl", "Pagina niet gevonden"), ("en", "Page not found")])
def test_404_page(client, lang, text):
    response = client.get("/no/such/page", headers={"Accept-Language": lang})
    assert response.status_code == 404
    assert text in response.text


def test_405_page_says_what_is_allowed(client):
    response = client.get("/logout")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
    assert "Methode niet toegestaan" in response.text


def test_json_clients_get_json_errors(client):
    response = client.get("/no/such/page", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.json["status"] == 404


def test_500_page_and_rollback(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'x.sqlite'}", PROPAGATE_EXCEPTIONS=False)
    bp = Blueprint("boom", __name__)

    @bp.get("/boom")
    @allow(ANYONE)
    def boom():
        raise RuntimeError("deliberate")

    app.register_blueprint(bp)
    response = app.test_client().get("/boom", headers={"Accept-Language": "en"})
    assert response.status_code == 500
    assert "Something went wrong" in response.text
    assert "deliberate" not in response.text


def test_health_reports_version_and_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "version": "0.1.0", "database": "ok"}


def test_health_is_503_when_the_database_does_not_answer(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'missing-dir' / 'db.sqlite'}")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["database"] == "unavailable"


def test_security_headers(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Strict-Transport-Security" not in response.headers  # only in production, behind HTTPS


def _pages_for_every_role(app, client, make_user):
    make_user("admin@example.org", is_admin=True, city="gent")
    urls = ["/", "/login", "/no-such-page"]
    pages = [client.get(url).text for url in urls]
    client.login("admin@example.org")
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and "static" not in rule.endpoint and not rule.arguments - {"user_id", "city_id"}:
            response = client.get(rule.rule.replace("<int:user_id>", "1").replace("<int:city_id>", "1"))
            if response.mimetype == "text/html":  # pages, not downloads or scripts
                pages.append(response.text)
    assert len(pages) >= 10
    return pages


def test_no_inline_script_style_or_external_resources(app, client, make_user):
    """The CSP forbids inline code; the pages must not need it, nor load anything from elsewhere."""
    for page in _pages_for_every_role(app, client, make_user):
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), "inline <script>"
        assert not re.search(r"\sstyle=", page), "inline style attribute"
        assert "<style" not in page
        assert not re.search(r"\son[a-z]+=", page), "inline event handler"
        assert not re.search(r'(?:src|href)="(?:https?:)?//', page), "resource from another site"


def test_bootstrap_is_served_locally(client):
    page = client.get("/").text
    css = re.search(r'href="(/bootstrap/static/[^"]+\.css(?:\?v=[0-9a-f]+)?)"', page).group(1)  # with its fingerprint
    js = re.search(r'src="(/bootstrap/static/[^"]+\.js(?:\?v=[0-9a-f]+)?)"', page).group(1)
    assert client.get(css).status_code == 200
    assert client.get(js).status_code == 200
