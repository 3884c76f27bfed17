"""The contact-record panel on the directory's lookup page.

The directory does not import this area: its page includes `needs/contact_panel.html` when
the template exists (`ignore missing`), and that template calls `contact_record_config()`,
a template global this area registers. The lookup tool works without contact records.
"""

from __future__ import annotations

from typing import Any

from flask import request, url_for

from needs.models import AGE_GROUPS, CALL_TYPES, UNMET_REASONS


def contact_record_config() -> dict[str, Any]:
    """The panel's settings: its API, the fixed lists, and a `?call=` to open at once."""
    return {"api": url_for("needs_api.taxonomy_suggest").removesuffix("/taxonomy"),
            "reasons": UNMET_REASONS, "types": CALL_TYPES, "ages": AGE_GROUPS,
            "open_call": request.args.get("call", "").strip()[:64] or None}
