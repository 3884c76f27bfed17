"""TwiML as text, written straight from the twilio library's verb objects.

`str(VoiceResponse)` builds an ElementTree of the verbs and serializes it: on a call's ~19
webhooks that was a tenth of a webhook's own CPU, more than the answer's logic. `render`
walks the same objects (each verb's name, attributes, value and nested verbs) and writes
the same bytes the library writes: attributes sorted, booleans as true/false, ElementTree's
escaping, `<Verb />` for an empty one, a string nested after a verb as that verb's tail (the
last one wins, as in the library). `tests/test_twiml_text.py` holds it to `str()` on every
kind of node and on arbitrary text.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable

from twilio.twiml import TwiML

DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'


def render(node: TwiML) -> str:
    """What `str(node)` gives: the XML declaration, then the document."""
    parts = [DECLARATION]
    _write(node, parts.append)
    # ElementTree writes through a UTF-8 stream with xmlcharrefreplace (a lone surrogate)
    return "".join(parts).encode("utf-8", "xmlcharrefreplace").decode("utf-8")


def _write(node: TwiML, out: Callable[[str], object]) -> None:
    text: str | None = None
    if node.value:
        if isinstance(node.value, dict):
            node.value = json.dumps(node.value)  # as the library does (it keeps the text)
        text = node.value
    children: list[list[TwiML | str | None]] = []  # [verb, tail]
    for verb in node.verbs:
        if isinstance(verb, str):
            if children:
                children[-1][1] = verb
            else:
                text = verb
        else:
            children.append([verb, None])
    out("<" + node.name)
    attrs = node.attrs
    for key in sorted(attrs):
        value = attrs[key]
        out(f' {key}="{_attribute(str(value).lower() if isinstance(value, bool) else str(value))}"')
    if not (text or children):
        out(" />")
        return
    out(">")
    if text:
        out(_text(text))
    for child, tail in children:
        _write(child, out)  # type: ignore[arg-type]
        if tail:
            out(_text(tail))  # type: ignore[arg-type]
    out(f"</{node.name}>")


# ElementTree's own escaping of character data and of attribute values (line ends and tabs
# as references), so the text stays byte for byte what `str()` writes on this Python.
_text: Callable[[str], str] = ElementTree._escape_cdata  # type: ignore[attr-defined]
_attribute: Callable[[str], str] = ElementTree._escape_attrib  # type: ignore[attr-defined]
