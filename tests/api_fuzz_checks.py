"""A schemathesis check of our own, loaded by the CLI through SCHEMATHESIS_HOOKS
(tests/test_api_fuzz.py): every 4xx is JSON with a reason."""

from __future__ import annotations

from typing import Any

import schemathesis


@schemathesis.check
def refusals_are_json_with_a_reason(ctx: Any, response: Any, case: Any) -> bool | None:
    """A 4xx tells the client why, in JSON: never an HTML error page or an empty body."""
    if 400 <= response.status_code < 500 and response.status_code != 405:
        try:
            body = response.json()
        except ValueError as exc:
            raise AssertionError(f"{response.status_code} is not JSON: {response.text[:200]!r}") from exc
        if not (isinstance(body, dict) and str(body.get("error", "")).strip()):
            raise AssertionError(f"{response.status_code} without an 'error' reason: {body!r}")
    return None
