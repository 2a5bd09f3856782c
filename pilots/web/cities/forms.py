"""Labels of the charter and the self-assessment, and the forms city staff edit them with."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, RadioField, SubmitField, TextAreaField
from wtforms.validators import AnyOf, InputRequired, Length

from pilots.models import CharterLevel
from pilots.models.city_status import MATURITY_DOMAINS, SCORES
from pilots.services.city_status import MAX_NOTE
from pilots.web.forms import choices

CHARTER_LEVEL_LABELS = {
    CharterLevel.ADOPTED: _l("Adopted"),
    CharterLevel.PARTLY: _l("Partly"),
    CharterLevel.NOT_YET: _l("Not yet"),
}

#: The 20 principles of the Flemish open-data charter, paraphrased.
PRINCIPLE_LABELS = {
    1: _l("Open by default: data is open unless there is a reason to keep it closed."),
    2: _l("Comply or explain: data that stays closed comes with the reason why."),
    3: _l("Publish once, close to the source."),
    4: _l("Open for transparency and for any reuse, commercial or not."),
    5: _l("A contact point in the city talks with the data collectors."),
    6: _l("Internal data hygiene and a metadata policy."),
    7: _l("Metadata is made close to the source."),
    8: _l("Training and knowledge sharing."),
    9: _l("Open, machine-readable formats and standards."),
    10: _l("Linked Open Data for new sources, above all for authentic and widely shared data."),
    11: _l("Published data has the same quality as the data used internally."),
    12: _l("The web is the primary, decentralised publication platform."),
    13: _l("Minimal delay between measurement and publication, and the relevant history is published too."),
    14: _l("Alignment with the other levels of government."),
    15: _l("Metadata flows automatically to the Flemish, federal and European portals."),
    16: _l("A small set of open, international, machine-readable licences."),
    17: _l("Dialogue with the reusers of the data."),
    18: _l("Data is maintained at least as long as it is kept for internal use."),
    19: _l("Open-data clauses in procurement and concessions."),
    20: _l("The signatories promote the principles."),
}

#: The six domains of the quick scan.
DOMAIN_LABELS = {
    "data_strategy": _l("Strategy and vision on data"),
    "open_data_strategy": _l("Strategy and vision on open data"),
    "organisation": _l("Organisational embedding"),
    "working_with_data": _l("Working with data"),
    "technology": _l("Technology and procurement"),
    "stakeholders": _l("Stakeholder management"),
}

SCORE_HELP = _l("1: not started · 2: first steps · 3: under way · 4: established · 5: embedded and improving.")
SCORE_ERROR = _l("Give a whole score from 1 to 5.")


class CharterForm(FlaskForm):
    principle = IntegerField(
        _l("Principle"),
        validators=[InputRequired(message=_l("Choose a principle from 1 to 20."))],
        render_kw={"readonly": True},
    )
    status = RadioField(
        _l("Status"),
        choices=choices((level.value, CHARTER_LEVEL_LABELS[level]) for level in CharterLevel),
        validators=[InputRequired(message=_l("Choose adopted, partly or not yet."))],
    )
    note = TextAreaField(
        _l("Note"),
        validators=[Length(max=MAX_NOTE)],
        render_kw={"rows": 3},
        description=_l("What the city does for this principle, or plans to do."),
    )
    version = HiddenField()
    submit = SubmitField(_l("Save principle"))


class MaturityForm(FlaskForm):
    year = IntegerField(_l("Year"), render_kw={"readonly": True})
    version = HiddenField()
    submit = SubmitField(_l("Save self-assessment"))


# One score (radio buttons 1 to 5) and one note per domain: score_<domain> and note_<domain>, the names the
# service uses for its errors.
for _domain in MATURITY_DOMAINS:
    setattr(
        MaturityForm,
        f"score_{_domain}",
        RadioField(
            DOMAIN_LABELS[_domain],
            choices=choices((str(n), str(n)) for n in SCORES),
            validate_choice=False,  # AnyOf says what is wrong in words
            validators=[InputRequired(message=SCORE_ERROR), AnyOf([str(n) for n in SCORES], message=SCORE_ERROR)],
            description=SCORE_HELP,
        ),
    )
    setattr(
        MaturityForm,
        f"note_{_domain}",
        TextAreaField(
            _l("Note (%(domain)s)", domain=DOMAIN_LABELS[_domain]),
            validators=[Length(max=MAX_NOTE)],
            render_kw={"rows": 2},
        ),
    )
del _domain
