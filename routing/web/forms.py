"""Forms for the routing admin pages (Flask-WTF: every POST carries a CSRF token)."""

from __future__ import annotations

import json
from typing import Any

from flask_wtf import FlaskForm
from wtforms import DateField, DateTimeLocalField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError


def json_text(_form: FlaskForm, field: Any) -> None:
    try:
        json.loads(field.data or "")
    except json.JSONDecodeError as exc:
        raise ValidationError(f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") \
            from exc


class JsonForm(FlaskForm):
    """The whole draft, or one section of it, as JSON."""

    document = TextAreaField("JSON", validators=[DataRequired(), json_text])


class NoteForm(FlaskForm):
    """Publish (with a note for the audit log), roll back, discard: a button and a token."""

    note = StringField("Note", validators=[Optional(), Length(max=500)])


class ClosureForm(FlaskForm):
    day = DateField("Date", validators=[DataRequired()])
    name = StringField("Reason", validators=[DataRequired(), Length(max=120)])
    regions = StringField("Regions (comma-separated ids; empty: all)", validators=[Length(max=500)])


class TestCallForm(FlaskForm):
    """Selects offer what the rule set knows; the engine (`check_call`) still refuses anything
    else by the field, since a POST need not come from this page (`validate_choice=False`
    leaves that one check, with its clear words, to the engine)."""

    caller = StringField("Caller number", default="+17055550123", validators=[Length(max=32)])
    at = DateTimeLocalField("Time (Toronto)", format="%Y-%m-%dT%H:%M", validators=[Optional()])
    language = SelectField("Language", choices=[SelectChoice("en", "English")],
                           validate_choice=False)
    need = SelectField("Need", validate_choice=False)
    region = SelectField("Region", validate_choice=False)
    interpreter = SelectField("Interpreter language", validate_choice=False)
    rules = StringField("Rules: draft, published or a version number", default="draft",
                        validators=[Length(max=16)])
    disaster = SelectField("Disaster mode", default="now", choices=[
        SelectChoice("now", "as it is now"), SelectChoice("on", "on (preview)"),
        SelectChoice("off", "off")])

    def offer(self, regions: list[tuple[str, str]], languages: list[tuple[str, str]],
              needs: list[tuple[str, str]], interpreters: list[tuple[str, str]]) -> None:
        """The selects' options: (value, label) pairs, labels by name."""
        def opts(blank: str | None, pairs: list[tuple[str, str]]) -> list[SelectChoice]:
            head = [SelectChoice("", blank)] if blank else []
            return head + [SelectChoice(value, label) for value, label in pairs]

        self.region.choices = opts("(from the caller's number)", regions)
        self.language.choices = opts(None, languages)
        self.need.choices = opts("(not asked)", needs)
        self.interpreter.choices = opts("(none)", interpreters)


class BulletinForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=120)])
    text_en = TextAreaField("English text", validators=[DataRequired(), Length(max=2000)])
    text_fr = TextAreaField("French text", validators=[DataRequired(), Length(max=2000)])
    starts_at = DateTimeLocalField("Starts (Toronto)", format="%Y-%m-%dT%H:%M",
                                   validators=[DataRequired()])
    ends_at = DateTimeLocalField("Ends (Toronto)", format="%Y-%m-%dT%H:%M", validators=[Optional()])
    regions = StringField("Regions (comma-separated ids; empty: the whole province)",
                          validators=[Length(max=500)])


class DisasterForm(FlaskForm):
    """Turning disaster mode on: what every caller will hear (limits as `routing.store.disaster`)."""

    event = StringField("The event's name, as callers hear it (e.g. the Goderich tornado)",
                        validators=[DataRequired(), Length(max=120)])
    bulletin_en = TextAreaField("Bulletin, English (first on every call)",
                                validators=[DataRequired(), Length(max=1000)])
    bulletin_fr = TextAreaField("Bulletin, French", validators=[DataRequired(), Length(max=1000)])
    info_en = TextAreaField("Recorded information about the event, and how to donate or "
                            "volunteer, English", validators=[DataRequired(), Length(max=4000)])
    info_fr = TextAreaField("Recorded information, French",
                            validators=[DataRequired(), Length(max=4000)])
