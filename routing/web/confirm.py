"""Ask before a discard or a delete: a page of its own, so it works without scripts.

The first POST (the list's red button) answers this page: what will go, what follows, a
red button that posts again with `confirm=yes`, and a way back. Only that second POST acts.
A script-free page rather than a `confirm()` dialog: the pages work with scripts off, and a
dialog is easy to click through.
"""

from __future__ import annotations

from flask import render_template, request
from werkzeug.wrappers import Response


def unconfirmed(question: str, consequence: str, button: str, back: str,
                carry: dict[str, str] | None = None) -> Response | None:
    """None once the admin has confirmed; else the confirmation page (200, nothing changed).
    `carry`: form fields the confirming POST sends again (hidden), so it acts on what was asked."""
    if request.form.get("confirm") == "yes":
        return None
    body = render_template("routing/confirm.html", question=question, consequence=consequence,
                           button=button, back=back, action=request.path,
                           note=request.form.get("note", ""), carry=carry or {})
    return Response(body, status=200, mimetype="text/html")
