"""Every spoken prompt uses a voice/language pair that Twilio's text-to-speech table has."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET

import pytest
from flask import Flask
from twilio.twiml.voice_response import VoiceResponse

from app import create_app
from config.settings import Settings
from config.voices import UnknownVoice, is_allowed, say_language
from ivr import prompts
from ivr.simulator.engine import SimulationError, check_voice


def _prompt_keys(language: str) -> list[str]:
    return [k for k, v in prompts.catalog(language).items() if isinstance(v, str) and not k.startswith("_")]


@pytest.mark.parametrize("language", prompts.LANGUAGES)
def test_every_prompt_says_in_a_voice_twilio_has(app: Flask, language: str) -> None:
    resp = VoiceResponse()
    with app.app_context():
        for key in _prompt_keys(language):
            prompts.say_text(resp, language, prompts.catalog(language)[key])
    says = list(ET.fromstring(str(resp)).iter("Say"))  # noqa: S314 - our own TwiML
    assert len(says) == len(_prompt_keys(language)) > 10
    for say in says:
        pair = (say.get("voice", ""), say.get("language", ""))
        assert is_allowed(*pair), pair
        assert pair[1].startswith(language)


def test_no_english_voice_is_canadian_because_twilio_has_none() -> None:
    assert say_language("Polly.Joanna", "en") == "en-US"
    with pytest.raises(UnknownVoice):
        say_language("Google.en-CA-Standard-A", "en")


def test_an_unknown_voice_setting_stops_start_up(settings: Settings) -> None:
    with pytest.raises(UnknownVoice):
        create_app(dataclasses.replace(settings, voice_en="Google.en-CA-Standard-A"))


def test_the_voice_is_a_setting_per_language(app: Flask) -> None:
    app.extensions["settings"] = dataclasses.replace(app.extensions["settings"], voice_fr="Polly.Chantal")
    with app.app_context():
        assert prompts.voice("fr") == ("Polly.Chantal", "fr-CA")


def test_the_simulator_refuses_a_pair_twilio_lacks() -> None:
    with pytest.raises(SimulationError, match="13511"):
        check_voice(ET.fromstring('<Say voice="Google.en-CA-Standard-A" language="en-CA">Hi</Say>'))  # noqa: S314


def test_every_interpreter_hold_line_is_a_pair_in_twilios_table() -> None:
    from config.ontario import data_files
    from config.voices import is_allowed
    from ivr.prompts import interpreter_hold_lines

    lines = interpreter_hold_lines()
    known = {lang.code for lang in data_files().interpreter_languages}
    assert "pa" in lines and set(lines) <= known
    for code, (voice, language, words) in lines.items():
        assert is_allowed(voice, language), (code, voice, language)
        assert words.strip()
