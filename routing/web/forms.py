"""Forms for the routing admin pages (Flask-WTF: every POST carries a CSRF token)."""

from __future__ import annotations

import json
from typing import Any

from flask_wtf import FlaskForm
from wtforms import DateField, DateTimeLocalField, SelectField, StringField, TextAreaField
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
    caller = StringField("Caller number", default="+17055550123", validators=[Length(max=32)])
    at = DateTimeLocalField("Time (Toronto)", format="%Y-%m-%dT%H:%M", validators=[Optional()])
    language = SelectField("Language (en, fr)", choices=["en", "fr"])
    need = StringField("Need", validators=[Length(max=32)])
    region = StringField("Region (overrides the number)", validators=[Length(max=32)])
    interpreter = StringField("Interpreter language code", validators=[Length(max=16)])
    rules = StringField("Rules: draft, published or a version number", default="draft",
                        validators=[Length(max=16)])


class BulletinForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=120)])
    text_en = TextAreaField("English text", validators=[DataRequired(), Length(max=2000)])
    text_fr = TextAreaField("French text", validators=[DataRequired(), Length(max=2000)])
    starts_at = DateTimeLocalField("Starts (Toronto)", format="%Y-%m-%dT%H:%M",
                                   validators=[DataRequired()])
    ends_at = DateTimeLocalField("Ends (Toronto)", format="%Y-%m-%dT%H:%M", validators=[Optional()])
    regions = StringField("Regions (comma-separated ids; empty: the whole province)",
                          validators=[Length(max=500)])
