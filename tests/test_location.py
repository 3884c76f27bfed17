"""Caller location from caller ID and from what the caller says."""

from __future__ import annotations

import pytest

from config.ontario import data_files
from routing.engine.location import region_from_caller_id, region_from_speech


@pytest.mark.parametrize(("number", "region"), [
    ("+14165550123", "central"), ("+16475550123", "central"), ("(613) 555-0123", "east"),
    ("+18075550123", "north"), ("+17056730123", "north"), ("+17057260123", "central_east"),
    ("+19055210123", "central_south"), ("+15192520123", "south_west"),
    ("+15198850123", "central_south"), ("+15193710123", "central_east"),
])
def test_region_from_caller_id(number: str, region: str) -> None:
    assert region_from_caller_id(number, data_files()).region == region


@pytest.mark.parametrize("number", ["+17055550123", "+19055550123", "+15195550123"])
def test_spanning_area_code_with_unknown_exchange_asks(number: str) -> None:
    guess = region_from_caller_id(number, data_files())
    assert guess.region is None and len(guess.candidates) >= 2


@pytest.mark.parametrize("number", ["", "anonymous", "+442071234567", "+12045550123", "266696687"])
def test_unknown_or_foreign_caller_id_asks(number: str) -> None:
    guess = region_from_caller_id(number, data_files())
    assert guess.region is None and guess.candidates == []


@pytest.mark.parametrize(("speech", "region", "source"), [
    ("Sudbury", "north", "speech"), ("grand sudbury", "north", "speech"),
    ("Thunder Bay Ontario", "north", "speech"), ("kitchener", "central_south", "speech"),
    ("I live in Owen Sound", "central_east", "speech"), ("Scarborough", "central", "speech"),
    ("K1A 0B1", "east", "postal"), ("n9a", "south_west", "postal"), ("m 5 v", "central", "postal"),
])
def test_region_from_speech(speech: str, region: str, source: str) -> None:
    place = region_from_speech(speech, data_files())
    assert place is not None and (place.region, place.source) == (region, source)


@pytest.mark.parametrize("speech", ["", "   ", "banana smoothie", "zzzz"])
def test_unrecognised_speech(speech: str) -> None:
    assert region_from_speech(speech, data_files()) is None
