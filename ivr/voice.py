"""The caller's path: greeting, language, location, need, queue, and what happens after.

Each handler reads what Twilio posted, updates the call session and answers TwiML. The
order is: /incoming -> /language (-> /interpreter) -> /location (only when caller ID can't
tell) -> /need -> <Enqueue> with /hold and /queue-result -> the survey hook.
"""

from __future__ import annotations

import logging
import math
import urllib.parse

from flask import Blueprint, current_app, request
from twilio.twiml.voice_response import Gather, VoiceResponse

from config.clock import now
from config.database import db_session
from config.extensions import caller_hasher, deployment, settings, store
from config.ontario import data_files
from ivr import callback_voice, conference, crisis, prompts, records
from ivr.call_state import STATE_PARAMS, url_state
from ivr.calls import (
    best_effort,
    best_effort_shared,
    database_allowed,
    figures,
    load_call,
    save_call,
    sessions,
)
from ivr.matching import (
    match_crisis,
    match_info_choice,
    match_info_request,
    match_interpreter_language,
    match_language_choice,
    match_need,
)
from ivr.menus import ask, retry_or_default
from ivr.routing_step import enqueue_call, last_resort, overflow_call, safe_route, safe_route_here
from ivr.session import CallSession
from ivr.webhook import attempt_arg, empty, form, form_float, url_language, webhook
from routing.engine.disaster import DisasterMode
from routing.engine.figures import Figures, estimate_wait
from routing.engine.location import region_from_caller_id, region_from_speech
from routing.service import disaster_mode, held_disaster_mode
from routing.store.bulletins import current_bulletins

bp = Blueprint("voice", __name__, url_prefix="/voice")
log = logging.getLogger(__name__)


def incoming_fallback() -> VoiceResponse:
    """When /voice/incoming fails, overruns or is shed (a surge): the greeting and language
    menu all the same, from the data files and the request alone (no store, no database,
    and no pseudonym: the first record write makes it), so under a surge a new caller keeps
    their path (language, region, need) instead of going unasked to the safe route. The
    facts ride in the menu's action URL. Anything wrong even here: the safe route."""
    try:
        guess = region_from_caller_id(form("From"), data_files())
        call = CallSession(call_sid=form("CallSid"), started_at=now().timestamp(),
                           area_code=guess.area_code, region=guess.region,
                           region_source="caller_id" if guess.region else None)
        resp = VoiceResponse()
        say_disaster_bulletin(resp, held_disaster_mode())  # in memory: nothing is asked
        return language_menu(resp, call, 0, greet=True)
    except Exception:
        log.exception("the light language menu failed; answering the safe route")
        return safe_route_here()


@bp.post("/incoming")
@webhook(fallback=incoming_fallback)
def incoming() -> VoiceResponse:
    caller = form("From")
    guess = region_from_caller_id(caller, deployment())
    call = CallSession(
        call_sid=form("CallSid"), started_at=now().timestamp(),
        caller_hash=caller_hasher().digest(caller, now()),
        area_code=guess.area_code, region=guess.region,
        region_source="caller_id" if guess.region else None, candidate_regions=guess.candidates,
    )
    save_call(call)
    resp = VoiceResponse()
    say_disaster_bulletin(resp, disaster_mode())
    return language_menu(resp, call, 0, greet=True)


def say_disaster_bulletin(resp: VoiceResponse, mode: DisasterMode) -> None:
    """Disaster mode's bulletin, first on every call, in English and French (the caller has
    not chosen yet), before the greeting and its menu."""
    if mode.on:
        prompts.say(resp, "en", "bulletin", text=mode.bulletin_en)
        prompts.say(resp, "fr", "bulletin", text=mode.bulletin_fr)


@bp.post("/fallback")
@webhook(fallback=safe_route_here)
def fallback() -> VoiceResponse:
    """Twilio's fallback URL for the 2-1-1 number: asked when our primary URL failed or was
    too slow. The safe route, which needs neither the store nor the database, in the
    caller's language: Twilio posts the URL that failed (`ErrorUrl`, signed with the rest),
    whose query carries the call's facts when it was one of our action URLs."""
    failed = urllib.parse.urlsplit(str(request.form.get("ErrorUrl", ""))[:2000]).query
    state = {k: v for k, v in urllib.parse.parse_qsl(failed) if k in STATE_PARAMS}
    return safe_route(prompts.spoken(state.get("l")), state)


def language_menu(resp: VoiceResponse, call: CallSession, attempt: int,
                  greet: bool = False) -> VoiceResponse:
    def speak(gather: Gather) -> None:
        if greet:
            prompts.say(gather, "en", "greeting")
            prompts.say(gather, "fr", "greeting")
        elif attempt:
            prompts.say(gather, "en", "language_not_understood")
        prompts.say(gather, "en", "language_menu")
        prompts.say(gather, "fr", "language_menu")

    return ask(resp, "voice.language", attempt, speak, hints="English, French, français",
               state=url_state(call))


def language_fallback() -> VoiceResponse:
    """When /voice/language fails, overruns or is shed: the safe route in the language the
    caller has just chosen (read from the request alone), filed under it."""
    try:
        choice = match_language_choice(form("Digits"), form("SpeechResult"))
    except Exception:  # a fallback answers whatever happens here
        log.exception("the language fallback could not read the choice")
        choice = None
    return safe_route_here({"l": choice} if choice in prompts.LANGUAGES else None)


@bp.post("/language")
@webhook(fallback=language_fallback)
def language() -> VoiceResponse:
    call, attempt, resp = load_call(form("CallSid")), attempt_arg(), VoiceResponse()
    speech = form("SpeechResult")
    choice = match_language_choice(form("Digits"), speech)
    if choice is None and speech:
        spoken = match_interpreter_language(speech, deployment())
        if spoken:
            return interpreter_found(resp, call, spoken.code, spoken.name_en)
    if choice == "other":
        return interpreter_menu(resp, call, 0)
    if choice is None and retry_or_default(attempt):
        return language_menu(resp, call, attempt + 1)
    call.language = choice or "en"
    save_call(call)
    return after_language(resp, call)


def interpreter_menu(resp: VoiceResponse, call: CallSession, attempt: int) -> VoiceResponse:
    def speak(gather: Gather) -> None:
        if attempt:
            prompts.say(gather, "en", "language_not_understood")
        prompts.say(gather, "en", "other_language_ask")

    return ask(resp, "voice.interpreter", attempt, speak, dtmf=False, state=url_state(call))


@bp.post("/interpreter")
@webhook(fallback=safe_route_here)
def interpreter() -> VoiceResponse:
    call, attempt, resp = load_call(form("CallSid")), attempt_arg(), VoiceResponse()
    spoken = match_interpreter_language(form("SpeechResult"), deployment())
    if spoken:
        return interpreter_found(resp, call, spoken.code, spoken.name_en)
    if retry_or_default(attempt):
        return interpreter_menu(resp, call, attempt + 1)
    call.language, call.interpreter = "en", "und"  # the specialist finds out which language
    prompts.say(resp, "en", "other_language_unknown")
    return interpreter_route(resp, call)


def interpreter_found(resp: VoiceResponse, call: CallSession, code: str, name: str) -> VoiceResponse:
    call.language, call.interpreter = "en", code
    prompts.say(resp, "en", "other_language_found", language=name)
    return interpreter_route(resp, call)


def interpreter_route(resp: VoiceResponse, call: CallSession) -> VoiceResponse:
    """Straight to a queue: a caller who needs an interpreter cannot answer the location
    question or the need menu, and the specialist and interpreter will ask. The region is
    caller ID's, else the area code's likeliest (as a location nobody answered)."""
    if not call.region:
        dep = deployment()
        candidates = call.candidate_regions or region_from_caller_id(form("From"), dep).candidates
        call.region = candidates[0] if candidates else dep.safe_route_provider
        call.region_source = "default"
    return enqueue_call(resp, call)


def after_language(resp: VoiceResponse, call: CallSession) -> VoiceResponse:
    if call.region:
        return need_menu(resp, call, 0, bulletins=True)
    return location_menu(resp, call, 0)


def location_menu(resp: VoiceResponse, call: CallSession, attempt: int) -> VoiceResponse:
    language = call.language

    def speak(gather: Gather) -> None:
        if attempt:
            prompts.say(gather, language, "location_not_understood")
        prompts.say(gather, language, "location_ask")

    return ask(resp, "voice.location", attempt, speak, language=language, dtmf=False,
               state=url_state(call))


def location_fallback() -> VoiceResponse:
    """When /voice/location fails, overruns or is shed: the safe route, with the call filed
    under the place the caller has just said when it is recognised (from the request alone
    and the deployment's own files), so the planners' figures keep its region."""
    try:
        place = region_from_speech(form("SpeechResult"), data_files())
    except Exception:  # a fallback answers whatever happens here
        log.exception("the location fallback could not read the place")
        place = None
    return safe_route_here({"r": place.region, "rs": place.source} if place else None)


@bp.post("/location")
@webhook(fallback=location_fallback)
def location() -> VoiceResponse:
    call, attempt, resp = load_call(form("CallSid")), attempt_arg(), VoiceResponse()
    dep = deployment()
    place = region_from_speech(form("SpeechResult"), dep)
    if place:
        call.region, call.region_source = place.region, place.source
    elif retry_or_default(attempt):
        return location_menu(resp, call, attempt + 1)
    else:  # still unknown: the area code's likeliest region, else the safe-route provider's
        candidates = call.candidate_regions or region_from_caller_id(form("From"), dep).candidates
        fallback = candidates[0] if candidates else dep.safe_route_provider
        call.region, call.region_source = fallback, "default"
    save_call(call)
    prompts.say(resp, call.language, "location_confirm",
                region=dep.regions[call.region].name(call.language))
    return need_menu(resp, call, 0, bulletins=True)


def say_bulletins(resp: VoiceResponse, call: CallSession) -> None:
    # The webhooks' engine: a read bounded to fit the call; on failure, no bulletins this time.
    for message in current_bulletins(current_app.extensions["bulletins"], store(),
                                     current_app.extensions["webhook_sessionmaker"], now(),
                                     call.region, call.language):
        prompts.say(resp, call.language, "bulletin", text=message)


def need_menu(resp: VoiceResponse, call: CallSession, attempt: int, bulletins: bool = False) -> VoiceResponse:
    if bulletins:
        say_bulletins(resp, call)

    mode = disaster_mode()

    def speak(gather: Gather) -> None:
        if attempt:
            prompts.say(gather, call.language, "need_not_understood")
        prompts.say(gather, call.language, "crisis_offer")  # first, always (key 8)
        if mode.on:  # next: in a disaster, many callers need only this
            prompts.say(gather, call.language, "disaster_info_offer", event=mode.event)
        prompts.say(gather, call.language, "need_menu")

    return ask(resp, "voice.need", attempt, speak, language=call.language, state=url_state(call))


@bp.post("/need")
@webhook(fallback=safe_route_here)
def need() -> VoiceResponse:
    call, attempt, resp = load_call(form("CallSid")), attempt_arg(), VoiceResponse()
    if match_crisis(form("Digits"), form("SpeechResult"), call.language):
        return crisis.put_through(resp, call)
    if disaster_mode().on and match_info_request(form("Digits"), form("SpeechResult"),
                                                 call.language):
        call.informed = True
        save_call(call)
        records.record_information(call, now())
        return information(resp, call, 0)
    chosen = match_need(form("Digits"), form("SpeechResult"), call.language, deployment())
    if chosen is None and retry_or_default(attempt):
        return need_menu(resp, call, attempt + 1)
    call.need = chosen or "other"
    return enqueue_call(resp, call)


def information(resp: VoiceResponse, call: CallSession, attempt: int,
                play: bool = True) -> VoiceResponse:
    """Disaster mode's recorded information about the event and how to donate or volunteer,
    then the offer to hear it again or to speak with a specialist (`information_choice`)."""
    mode = disaster_mode()
    if not mode.on:  # turned off since the caller chose it: a specialist answers instead
        prompts.say(resp, call.language, "disaster_info_gone")
        call.need = call.need or "other"
        return enqueue_call(resp, call)
    if play:
        prompts.say_text(resp, call.language, mode.info(call.language))

    def speak(gather: Gather) -> None:
        if attempt:
            prompts.say(gather, call.language, "need_not_understood")
        prompts.say(gather, call.language, "disaster_info_menu")

    return ask(resp, "voice.information_choice", attempt, speak, language=call.language,
               state=url_state(call))


@bp.post("/information")
@webhook(fallback=safe_route_here)
def information_choice() -> VoiceResponse:
    """After the information: again, a specialist, or (asked twice more) goodbye. Never a
    dead end: a caller who says nothing has heard what they called for and is thanked."""
    call, attempt, resp = load_call(form("CallSid")), attempt_arg(), VoiceResponse()
    choice = match_info_choice(form("Digits"), form("SpeechResult"), call.language)
    if choice == "repeat":
        return information(resp, call, 0)
    if choice == "specialist":
        call.need = call.need or "other"
        return enqueue_call(resp, call)
    if retry_or_default(attempt):
        return information(resp, call, attempt + 1, play=False)
    prompts.say(resp, call.language, "disaster_info_goodbye")
    resp.hangup()
    return resp


def hold_fallback() -> VoiceResponse:
    """When /voice/hold fails, overruns or is shed: reassurance and music, in the caller's
    language, which the waitUrl carries (an interpreter caller: "please hold" in theirs)."""
    resp = VoiceResponse()
    if prompts.say_interpreter_hold(resp, request.args.get("i")):
        resp.play(settings().hold_music_url)
        return resp
    return hold_message(resp, url_language(), None, None)


@bp.post("/hold")
@webhook(fallback=hold_fallback)
def hold() -> VoiceResponse:
    """Twilio's waitUrl: tell the caller where they stand; <Leave/> once past the max wait.

    Twilio asks again only when this document has played out, so near the max wait the
    music gives way to a pause that ends at it: the caller leaves on time, not a track late.
    """
    call = load_call(form("CallSid"))
    waited = form_float("QueueTime") or 0.0
    limit = call.max_wait_seconds
    if (limit and waited >= limit) or conference.hold_step(
            call, request.args.get("ap") or call.provider or ""):
        resp = VoiceResponse()
        resp.leave()
        return resp
    resp = VoiceResponse()
    expected = None
    if not prompts.say_interpreter_hold(resp, call.interpreter):  # else: in their language
        expected = hold_announcement(resp, call)
    if callback_voice.offer_due(call, waited, expected) and database_allowed():
        with best_effort_shared():  # the offer needs its row: without it the caller holds on
            callback_voice.add_offer(resp, call)
    return hold_music(resp, None if not limit else limit - waited)


def hold_announcement(resp: VoiceResponse, call: CallSession) -> float | None:
    provider = call.provider or deployment().safe_route_provider
    position = int(form_float("QueuePosition") or 0) or None  # Twilio's own count is the truth
    expected = None
    with best_effort():  # one round trip; callbacks owed ahead keep their place
        rank, ahead, snapshot = figures().hold_view(
            provider, now().timestamp(), None if position else call.call_sid, call.enqueued_at)
        position = position or rank
        expected = known_wait(snapshot, (position or 1) + ahead)
    hold_message(resp, call.language, position, expected, music=False)
    return expected


def known_wait(now_figures: Figures, position: int) -> float | None:
    """An expected wait worth saying, or None: with nobody signed in, or no answered call
    or talk time yet to go on, any figure would be made up (the "about one minute" a caller
    heard for ten minutes while no one was there to answer)."""
    if not now_figures.specialists:
        return None
    if not (now_figures.handle_time or now_figures.average_wait):
        return None
    return estimate_wait(now_figures, position)


def hold_music(resp: VoiceResponse, remaining: float | None) -> VoiceResponse:
    """One segment of hold: the music, or when the max wait comes sooner, a pause to it."""
    seconds = settings().hold_music_seconds
    if remaining is None or remaining >= seconds:
        resp.play(settings().hold_music_url)
    else:
        resp.pause(length=max(1, math.ceil(remaining)))
    return resp


def hold_message(resp: VoiceResponse, language: str, position: int | None,
                 expected: float | None, music: bool = True) -> VoiceResponse:
    if position:
        prompts.say(resp, language, "hold_position", position=position)
    if expected is not None and expected >= 90:
        prompts.say(resp, language, "hold_wait", minutes=round(expected / 60))
    elif expected is not None and expected >= 60:
        prompts.say(resp, language, "hold_wait_one_minute")
    elif expected is not None:
        prompts.say(resp, language, "hold_wait_short")
    else:
        prompts.say(resp, language, "hold_reassure")
    if music:
        resp.play(settings().hold_music_url)
    return resp


def after_queue_fallback() -> VoiceResponse:
    if form("QueueResult") in {"bridged", "redirected-from-bridged"}:
        resp = VoiceResponse()
        prompts.say(resp, "en", "goodbye")
        return resp
    return safe_route()


@bp.post("/queue-result")
@webhook(fallback=after_queue_fallback)
def queue_result() -> VoiceResponse:
    """Twilio's Enqueue action: the caller left the queue; each QueueResult has its path.

    A bridged call (every answered call) needs nothing from the session, so it is read
    only for the results that act on it: one store round trip fewer on the common path.
    """
    result = form("QueueResult")
    resp = VoiceResponse()
    if result in {"bridged", "redirected-from-bridged"}:
        return conference.after_specialist(resp)
    if result in {"bridging-in-process", "redirected"}:
        return resp  # (redirected: to the caller's conference; Twilio ignores this answer)
    call = load_call(form("CallSid"))
    if result == "leave":  # the hold step's <Leave/> for a claim whose redirect was late
        joining = conference.join_after_leave(resp, call)
        if joining is not None:
            return joining
    if call.provider:
        with best_effort():
            figures().caller_left(call.provider, call.call_sid)
    if result == "hangup":
        records.record_closed(call, now(), None)
        return resp
    if result == "leave" and not call.callee_of and callback_voice.left_for_callback(
            db_session(), call):
        call.callback_id = call.callback_id or -1
        save_call(call)
        resp.hangup()  # the goodbye was said before <Leave/>
        return resp
    if result in {"leave", "queue-full"}:
        return overflow_call(resp, call)
    return after_queue_error(resp, call)


def after_queue_error(resp: VoiceResponse, call: CallSession) -> VoiceResponse:
    """Twilio could not queue the caller: try the safe-route queue once, then a staffed line,
    so a queue that keeps failing can never hold a caller in a loop."""
    if call.queue_failed:
        return last_resort(resp, call)
    call.queue_failed = True
    save_call(call)
    return safe_route(call.language, url_state(call))


@bp.post("/transfer-result")
@webhook(fallback=safe_route_here)
def transfer_result() -> VoiceResponse:
    """The transferred call ended; if the number did not answer, a specialist still will."""
    call = load_call(form("CallSid"))
    if form("DialCallStatus") in {"busy", "no-answer", "failed", "canceled"}:
        return safe_route(call.language)
    resp = VoiceResponse()
    resp.hangup()
    return resp


@bp.post("/crisis-result")
@webhook(fallback=safe_route_here)
def crisis_result() -> VoiceResponse:
    """The crisis line's Dial ended: answered, the call ends; not, a specialist at once."""
    return crisis.after_dial(load_call(form("CallSid")), form("DialCallStatus"))


def status_fallback() -> VoiceResponse:
    """When /voice/status fails, overruns or is shed: the record is closed all the same,
    from the request alone (journal; the row's context and result stand)."""
    if form("CallSid") and form("CallStatus") in {"completed", "busy", "failed", "no-answer",
                                                  "canceled"}:
        records.record_closed(records.kept_by_fallback(form("CallSid")), now(),
                              form_float("CallDuration"), journal=True)
    return empty()


@bp.post("/status")
@webhook(fallback=status_fallback, shed=False)
def status() -> VoiceResponse:
    """The call's status callback: close the durable record and forget the session."""
    call = load_call(form("CallSid"))
    if form("CallStatus") not in {"completed", "busy", "failed", "no-answer", "canceled"}:
        return empty()
    if call.call_sid:
        at = now()
        records.record_closed(call, at, form_float("CallDuration"))
        with best_effort(), store().batch() as writes:  # leave the queue, forget the session
            figures(writes).call_ended(call.call_sid, call.provider)
            sessions(writes).drop(call.call_sid)
        if call.provider and settings().call_bridge == "conference":
            with best_effort():  # a claim on them nobody joined: its specialist waits on
                conference.caller_gone(call.call_sid)
    return empty()
