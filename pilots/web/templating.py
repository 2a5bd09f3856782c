"""Helpers available in every template."""

from __future__ import annotations

from flask import Flask
from flask_babel import format_date, format_datetime, get_locale
from flask_babel import lazy_gettext as _l

from pilots.models import CityKind, CityRole
from pilots.text import render_markdown
from pilots.vocabularies import CHALLENGE_STATUS_LABELS, ROUND_PHASE_LABELS
from pilots.web import labels, numbers

LANGUAGE_NAMES = {"nl": "Nederlands", "en": "English"}

CITY_ROLE_LABELS = {CityRole.STAFF: _l("Staff"), CityRole.VOTER: _l("Staff and voter")}
CITY_KIND_LABELS = {CityKind.CENTRUMSTAD: _l("Centrumstad"), CityKind.VGC: _l("VGC (Brussels)"), CityKind.OTHER: _l("Other")}


def register_template_helpers(app: Flask) -> None:
    @app.context_processor
    def inject_globals() -> dict:
        locale = str(get_locale() or app.config["BABEL_DEFAULT_LOCALE"])
        return {
            "current_locale": locale,
            "number": numbers.formatter(locale),
            "language_names": LANGUAGE_NAMES,
            "city_role_labels": CITY_ROLE_LABELS,
            "city_kind_labels": CITY_KIND_LABELS,
            "challenge_status_labels": CHALLENGE_STATUS_LABELS,
            "round_phase_labels": ROUND_PHASE_LABELS,
            "app_version": app.config["VERSION"],
        }

    app.add_template_filter(render_markdown, "markdown")
    # Names the code uses, in words (pilots/web/labels.py): never print an action, a check id or a format code.
    for helper in (
        labels.audit_label,
        labels.object_label,
        labels.check_label,
        labels.check_result,
        labels.evidence,
        labels.speaker,
        labels.file_type_label,
    ):
        app.add_template_global(helper)

    @app.template_filter("date")
    def _format_date(value, format: str = "long") -> str:
        return format_date(value, format) if value is not None else "–"

    @app.template_filter("datetime")
    def _format_datetime(value, format: str = "medium") -> str:
        return format_datetime(value, format) if value is not None else "–"
