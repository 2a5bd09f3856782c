from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FloatField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional

from pilots.models import Direction, EffortUnit, TieBreak, WeightSource
from pilots.web.forms import NumberRange, choices

METHOD_LABELS = {
    "wsm": _l("Weighted sum"),
    "topsis": _l("TOPSIS"),
    "borda": _l("Borda count on the cities' rankings"),
    "copeland": _l("Copeland on the cities' rankings"),
    "schulze": _l("Schulze on the cities' rankings"),
}
NORMALIZATION_LABELS = {
    "scale": _l("On the criterion's scale"),
    "vector": _l("Vector (TOPSIS)"),
    "minmax": _l("Minimum to maximum observed"),
}
WEIGHT_SOURCE_LABELS = {
    WeightSource.COMMITTEE: _l("The steering committee's weights (set below the criteria)"),
    WeightSource.CITIES: _l("The cities' weights: each city weighs the criteria on its ballot"),
}
TIE_BREAK_LABELS = {
    TieBreak.DEFAULT: _l("Higher aggregate score, then the challenge proposed first"),
    TieBreak.FIRST_CRITERION_THEN_DRAW: _l("Higher mean on the first criterion, then a draw with the round's seed"),
}
EFFORT_UNIT_LABELS = {
    EffortUnit.PERSON_MONTHS: _l("Person-months"),
    EffortUnit.RELATIVE: _l("Relative size (e.g. 1 small to 5 large)"),
}
DIRECTION_LABELS = {Direction.BENEFIT: _l("Benefit: higher is better"), Direction.COST: _l("Cost: higher is worse")}


class RoundForm(FlaskForm):
    title = StringField(_l("Title"), validators=[InputRequired(), Length(max=160)])
    year = IntegerField(
        _l("Year"),
        validators=[InputRequired(), NumberRange(min=2017, max=2100)],
        description=_l("Eligible challenges proposed for this year go on the ballot."),
    )
    pilots_to_select = IntegerField(_l("Pilots to select"), default=2, validators=[InputRequired(), NumberRange(min=1, max=5)])
    proposals_deadline = DateField(_l("Proposals deadline"), validators=[Optional()])
    voting_deadline = DateField(_l("Voting deadline"), validators=[Optional()])
    allow_self_scoring = BooleanField(_l("A city may score its own challenges"))
    quorum = IntegerField(
        _l("Quorum (cities)"),
        validators=[Optional(), NumberRange(min=1, max=1000)],
        description=_l("How many cities must score a challenge for it to be ranked. Empty: half the cities taking part."),
    )
    ballots_confidential = BooleanField(_l("Keep the cities' ballots confidential after publication"))
    method = SelectField(_l("Ranking method"), choices=choices(METHOD_LABELS.items()), default="wsm")
    normalization = SelectField(_l("Normalisation"), choices=choices(NORMALIZATION_LABELS.items()), default="scale")
    sensitivity_samples = IntegerField(
        _l("Robustness samples"), default=10_000, validators=[InputRequired(), NumberRange(min=0, max=100_000)]
    )
    perturbation = FloatField(
        _l("Weight perturbation (0.2 = ±20%)"),
        default=0.2,
        validators=[InputRequired(), NumberRange(min=0.01, max=0.99)],
        description=_l(
            "How far the robustness check moves each weight: with 0.2 every weight is drawn anew between 80 and 120 percent "
            "of its value, many times, and the results show how often each challenge stays selected."
        ),
    )
    seed = IntegerField(
        _l("Random seed"),
        default=1,
        validators=[InputRequired(), NumberRange(min=0, max=2**31 - 1)],
        description=_l(
            "Any whole number. It fixes the random draws of the robustness check, so anyone can recompute the result "
            "exactly; another seed gives other draws, never another ranking."
        ),
    )
    weight_source = SelectField(
        _l("Weights"),
        choices=choices(WEIGHT_SOURCE_LABELS.items()),
        default=WeightSource.COMMITTEE.value,
        description=_l(
            "With the cities' weights, each city's voters weigh the criteria on their ballot, and the round ranks "
            "with the geometric mean of the cities' weights. Fixed when voting opens."
        ),
    )
    tie_break = SelectField(
        _l("Tie-break rule"),
        choices=choices(TIE_BREAK_LABELS.items()),
        default=TieBreak.DEFAULT.value,
        description=_l("How two challenges with the same score are ordered. Public, and fixed when voting opens."),
    )
    effort_unit = SelectField(
        _l("Unit of effort"),
        choices=choices(EFFORT_UNIT_LABELS.items()),
        default=EffortUnit.PERSON_MONTHS.value,
        description=_l("The unit in which screening estimates each challenge's effort."),
    )
    capacity = FloatField(
        _l("Capacity"),
        validators=[Optional(), NumberRange(min=0, max=1_000_000)],
        description=_l(
            "The total effort the selected pilots may take, in the unit above. Empty: no limit. With a capacity the "
            "round selects the best set of challenges that fits, which need not be the top of the ranking."
        ),
    )
    delphi = BooleanField(
        _l("Delphi pass: let the cities revise after seeing the spread"),
        description=_l(
            "Closing the first pass shows every city the spread of the scores (median and interquartile range per cell, "
            "never another city's own scores) next to its own, and lets it revise them until the revision deadline, "
            "with a short reason for each changed score. The ranking uses the second pass. Fixed when voting opens."
        ),
    )
    revision_deadline = DateField(
        _l("Revision deadline"),
        validators=[Optional()],
        description=_l("Planned end of the second pass, after the voting deadline."),
    )
    version = HiddenField()
    submit = SubmitField(_l("Save"))


class CriterionForm(FlaskForm):
    key = StringField(
        _l("Key"), validators=[InputRequired(), Length(max=40)], description=_l("A short id used in the snapshot, e.g. impact.")
    )
    name_nl = StringField(_l("Name (Dutch)"), validators=[InputRequired(), Length(max=120)])
    name_en = StringField(_l("Name (English)"), validators=[InputRequired(), Length(max=120)])
    description_nl = TextAreaField(_l("Description (Dutch)"), validators=[Length(max=2000)], render_kw={"rows": 2})
    description_en = TextAreaField(_l("Description (English)"), validators=[Length(max=2000)], render_kw={"rows": 2})
    weight = FloatField(
        _l("Weight"),
        default=1.0,
        validators=[InputRequired(), NumberRange(min=0.000001)],
        description=_l("Any positive number; the weights are normalised to sum to 100%."),
    )
    direction = SelectField(_l("Direction"), choices=choices((d.value, DIRECTION_LABELS[d]) for d in Direction))
    scale_min = FloatField(_l("Scale from"), default=1, validators=[InputRequired()])
    scale_max = FloatField(_l("Scale to"), default=5, validators=[InputRequired()])
    integer_scale = BooleanField(_l("Whole numbers only"), default=True)
    anchor_low_nl = StringField(
        _l("Lowest score means (Dutch)"),
        validators=[Length(max=200)],
        description=_l("Shown on the ballot, so that a score means the same in every city."),
    )
    anchor_low_en = StringField(_l("Lowest score means (English)"), validators=[Length(max=200)])
    anchor_high_nl = StringField(_l("Highest score means (Dutch)"), validators=[Length(max=200)])
    anchor_high_en = StringField(_l("Highest score means (English)"), validators=[Length(max=200)])
    version = HiddenField()
    submit = SubmitField(_l("Save criterion"))


#: Saaty's scale for a pair (A, B): the value of A compared with B.
SAATY = [
    ("9", _l("A is extremely more important (9)")),
    ("7", _l("A is very strongly more important (7)")),
    ("5", _l("A is strongly more important (5)")),
    ("3", _l("A is moderately more important (3)")),
    ("1", _l("Equally important (1)")),
    ("0.333333", _l("B is moderately more important (1/3)")),
    ("0.2", _l("B is strongly more important (1/5)")),
    ("0.142857", _l("B is very strongly more important (1/7)")),
    ("0.111111", _l("B is extremely more important (1/9)")),
]
SAATY_VALUES = {
    "9": 9.0,
    "7": 7.0,
    "5": 5.0,
    "3": 3.0,
    "1": 1.0,
    "0.333333": 1 / 3,
    "0.2": 1 / 5,
    "0.142857": 1 / 7,
    "0.111111": 1 / 9,
}


class AdvanceForm(FlaskForm):
    expected_phase = HiddenField(validators=[InputRequired()])
    expected_pass = HiddenField()  # a Delphi round: the pass the page was opened in
    submit = SubmitField()
