"""What a specialist hears and sees about the caller they get: the whisper and the screen pop.

Both describe one caller, the one the specialist is joined to (`ivr.conference` claims the
caller first, then says who it is), in the specialist's language, English.
"""

from __future__ import annotations

from config.clock import now
from config.extensions import deployment
from ivr import prompts
from ivr.session import CallSession


def whisper_text(call: CallSession) -> str:
    dep = deployment()
    region = dep.regions[call.region].name_en if call.region in dep.regions else "region unknown"
    waited = round(now().timestamp() - call.enqueued_at) if call.enqueued_at else 0
    language = prompts.label("en", "languages", call.language)
    interpreter = ""
    if call.interpreter:  # the language the caller named, by its name: "Punjabi", not "pa"
        language, interpreter = interpreter_name(call.interpreter), " with an interpreter"
    need = ("need not asked" if call.interpreter and not call.need
            else "needs help with " + prompts.label("en", "needs", call.need or "other"))
    return prompts.text("en", "agent_whisper", language=language, interpreter=interpreter,
                        region=region, need=need, waited=spoken_duration(waited))


def interpreter_name(code: str | None) -> str:
    """An interpreter language's English name; 'language not identified' for 'und'."""
    found = next((lang for lang in deployment().interpreter_languages if lang.code == code), None)
    return found.name_en if found else "language not identified"


def spoken_duration(seconds: int) -> str:
    """'45 seconds', '1 minute 1 second', '2 minutes'."""
    minutes, rest = divmod(max(0, seconds), 60)
    secs = f"{rest} second{'' if rest == 1 else 's'}"
    if not minutes:
        return secs
    return f"{minutes} minute{'s' if minutes > 1 else ''}" + (f" {secs}" if rest else "")


def pop_event(call: CallSession, waited: float | None) -> dict[str, object]:
    dep = deployment()
    need = dep.need(call.need or "other")
    return {
        "type": "call", "call_sid": call.call_sid, "language": call.language,
        "interpreter": call.interpreter, "region": call.region, "need": call.need,
        "interpreter_name": interpreter_name(call.interpreter) if call.interpreter else None,
        "taxonomy": list(need.taxonomy) if need else [], "waited_seconds": round(waited or 0),
        "provider": call.provider, "overflowed": call.overflowed, "at": now().isoformat(),
    }
