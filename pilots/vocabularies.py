"""Controlled vocabularies: EU data themes, frequencies and file types, licences, and the 5-star scale.

Values follow the EU Publications Office authority tables (shared/reference/smart-flanders.md) so that
later DCAT-AP output can use the URIs directly. Labels are translatable.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from pilots.models.challenge import ChallengeStatus
from pilots.models.voting import RoundPhase

EU_THEME = "http://publications.europa.eu/resource/authority/data-theme/"
EU_FREQUENCY = "http://publications.europa.eu/resource/authority/frequency/"
EU_FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"

#: EU data themes (code -> label), in the order a city is most likely to need them.
THEMES = {
    "TRAN": _l("Mobility and transport"),
    "ENVI": _l("Environment"),
    "ENER": _l("Energy"),
    "ECON": _l("Economy and finance"),
    "SOCI": _l("Population and society"),
    "GOVE": _l("Government and public sector"),
    "HEAL": _l("Health"),
    "EDUC": _l("Education, culture and sport"),
    "REGI": _l("Regions and cities"),
    "JUST": _l("Justice and public safety"),
    "TECH": _l("Science and technology"),
    "AGRI": _l("Agriculture, fisheries and food"),
    "INTR": _l("International issues"),
}

CHALLENGE_STATUS_LABELS = {
    ChallengeStatus.DRAFT: _l("Draft"),
    ChallengeStatus.SUBMITTED: _l("Submitted"),
    ChallengeStatus.WITHDRAWN: _l("Withdrawn"),
    ChallengeStatus.ELIGIBLE: _l("Eligible"),
    ChallengeStatus.INELIGIBLE: _l("Not eligible"),
    ChallengeStatus.SELECTED: _l("Selected"),
    ChallengeStatus.NOT_SELECTED: _l("Not selected"),
}

ROUND_PHASE_LABELS = {
    RoundPhase.DRAFT: _l("Draft"),
    RoundPhase.PROPOSALS_OPEN: _l("Proposals open"),
    RoundPhase.VOTING_OPEN: _l("Voting open"),
    RoundPhase.CLOSED: _l("Voting closed"),
    RoundPhase.PUBLISHED: _l("Results published"),
}

FREQUENCIES = {
    "CONT": _l("Continuous (real time)"),
    "HOURLY": _l("Hourly"),
    "DAILY": _l("Daily"),
    "WEEKLY": _l("Weekly"),
    "MONTHLY": _l("Monthly"),
    "QUARTERLY": _l("Quarterly"),
    "ANNUAL": _l("Yearly"),
    "IRREG": _l("Irregular"),
    "NEVER": _l("Never (a one-off)"),
    "UNKNOWN": _l("Unknown"),
}


@dataclass(frozen=True)
class FileType:
    label: str
    stars: int  # what the format alone allows: 1 (on the web), 2 (structured), 3 (open format), 4 (RDF)
    rdf: bool = False


#: EU file types (code -> what it is). The stars say what the format allows on the 5-star scale.
FILE_TYPES = {
    "CSV": FileType("CSV", 3),
    "JSON": FileType("JSON", 3),
    "GEOJSON": FileType("GeoJSON", 3),
    "XML": FileType("XML", 3),
    "RDF_TURTLE": FileType("RDF Turtle", 4, rdf=True),
    "JSON_LD": FileType("JSON-LD", 4, rdf=True),
    "RDF_XML": FileType("RDF/XML", 4, rdf=True),
    "RDF_N_TRIPLES": FileType("N-Triples", 4, rdf=True),
    "XLSX": FileType("Excel (XLSX)", 2),
    "XLS": FileType("Excel (XLS)", 2),
    "SHP": FileType("Shapefile", 2),
    "PDF": FileType("PDF", 1),
    "HTML": FileType("HTML", 1),
    "OTHER": FileType("Other", 1),
}

LICENCE_MODELLICENTIE = "http://data.vlaanderen.be/id/licentie/modellicentie-gratis-hergebruik/v1.0"
LICENCE_CC0_VLAANDEREN = "http://data.vlaanderen.be/id/licentie/creative-commons-zero-verklaring/v1.0"
LICENCE_CC0 = "https://creativecommons.org/publicdomain/zero/1.0/"
LICENCE_CC_BY = "https://creativecommons.org/licenses/by/4.0/"
LICENCE_OTHER = "other"

#: Licences a city can choose (URI -> label). All but "other" are open licences.
LICENCES = {
    LICENCE_MODELLICENTIE: _l("Flemish model licence for free reuse (Modellicentie Gratis Hergebruik)"),
    LICENCE_CC0_VLAANDEREN: _l("CC0 (Flemish declaration)"),
    LICENCE_CC0: "Creative Commons CC0 1.0",
    LICENCE_CC_BY: "Creative Commons CC BY 4.0",
    LICENCE_OTHER: _l("Other or not yet decided"),
}
OPEN_LICENCES = frozenset(uri for uri in LICENCES if uri != LICENCE_OTHER)


@dataclass(frozen=True)
class Openness:
    """A dataset's level on the 5-star open data scale, with the reasons in plain words."""

    stars: int
    reasons: tuple[str, ...]


def openness(
    *, available_openly: bool, url: str | None, licence: str | None, file_type: str | None, standard: str | None
) -> Openness:
    """Derive the 5-star level from what is known about a dataset.

    0: not (yet) open data: not published on the web, or without an open licence.
    1: on the web with an open licence (any format, such as PDF).
    2: machine-readable structured data (such as Excel).
    3: a non-proprietary format (CSV, JSON, XML): the programme's threshold for "open data".
    4: RDF, with URIs to identify things (Turtle, JSON-LD, RDF/XML, N-Triples).
    5: RDF that follows a linked-data vocabulary (such as OSLO or DATEX II), so it links to other data.
    """
    if not available_openly or not url:
        return Openness(0, (str(_l("Not published on the web yet.")),))
    if licence not in OPEN_LICENCES:
        return Openness(0, (str(_l("No open licence: without one, reuse is not allowed.")),))
    reasons = [str(_l("On the web with an open licence."))]
    kind = FILE_TYPES.get(file_type or "OTHER", FILE_TYPES["OTHER"])
    stars = kind.stars
    if stars >= 2:
        reasons.append(str(_l("Machine-readable structured data (%(format)s).", format=kind.label)))
    if stars >= 3:
        reasons.append(str(_l("A non-proprietary format.")))
    if stars >= 4:
        reasons.append(str(_l("RDF: things are identified by URIs.")))
    if kind.rdf and standard and standard.strip():
        stars = 5
        reasons.append(
            str(_l("Follows the linked-data vocabulary %(standard)s, so it links to other data.", standard=standard.strip()))
        )
    return Openness(stars, tuple(reasons))
