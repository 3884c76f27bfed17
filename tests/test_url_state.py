"""The facts a call carries in its action URLs come back as they were written, and only
those (`ivr.call_state`)."""

from __future__ import annotations

from dataclasses import asdict

from hypothesis import given
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from ivr.call_state import FLAGS, NUMBERS, STATE_PARAMS, TEXT, WHOLE, apply_url_state, url_state
from ivr.session import CallSession

KEYS = st.sampled_from(sorted(STATE_PARAMS | {"attempt", "q", "x"}))
VALUES = st.one_of(st.sampled_from(["", "1", "0", "42", "3.5", "en", "north", "-7", "long" * 12]),
                   st.text(max_size=60))


@given(st.lists(st.tuples(KEYS, VALUES), max_size=12))
def test_each_fact_the_url_carries_is_applied_and_nothing_else(pairs: list[tuple[str, str]]) -> None:
    args = MultiDict(pairs)  # a repeated name: its first value, as request.args answers
    call = CallSession(call_sid="CA1")
    found = apply_url_state(call, args)
    expected = asdict(CallSession(call_sid="CA1"))
    carried = False
    for param in STATE_PARAMS & set(args):
        value = args.getlist(param)[0]
        if param in TEXT and value:
            expected[TEXT[param]], carried = value[:40], True
        elif param in NUMBERS and value.isdigit():
            name = NUMBERS[param]
            expected[name], carried = (int(value) if name in WHOLE else float(value)), True
        elif param in FLAGS and value == "1":
            expected[FLAGS[param]], carried = True, True
    assert asdict(call) == expected
    assert found is carried


def test_a_call_written_to_a_url_reads_back_the_same() -> None:
    call = CallSession(call_sid="CA2", language="fr", region="north", region_source="speech",
                       need="food", provider="north", overflow_provider="east",
                       started_at=1796685250.0, enqueued_at=1796685260.0, max_wait_seconds=600,
                       callback_after_seconds=0, overflowed=True, informed=True)
    again = CallSession(call_sid="CA2")
    assert apply_url_state(again, MultiDict(url_state(call))) is True
    assert asdict(again) == asdict(call)
