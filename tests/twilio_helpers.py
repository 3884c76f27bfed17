"""Talking to the app as Twilio does: signed form posts, and TwiML read back."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import urljoin, urlsplit

from flask.testing import FlaskClient
from prometheus_client import REGISTRY
from twilio.request_validator import RequestValidator
from werkzeug.test import TestResponse

from ivr.simulator.transport import settle


class SignedClient:
    def __init__(self, client: FlaskClient, public_base_url: str, auth_token: str) -> None:
        self.client = client
        self.base = public_base_url
        self.validator = RequestValidator(auth_token)

    def post(self, url: str, signature: str | None = None, **params: str) -> TestResponse:
        return self.post_with({}, url, signature, **params)

    def post_with(self, headers: dict[str, str], url: str, signature: str | None = None,
                  **params: str) -> TestResponse:
        """`post`, with more request headers (a proxy's, such as X-Request-Start)."""
        full = urljoin(self.base + "/", url)
        parts = urlsplit(full)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        sig = self.validator.compute_signature(full, params) if signature is None else signature
        resp = self.client.post(path, data=params,
                                headers={**headers, "X-Twilio-Signature": sig})
        settle(self.client.application)  # as Twilio sees it: the answer's REST calls arrived
        return resp


def twiml(resp: TestResponse) -> ET.Element:
    """The response parsed as TwiML; fails the test if it is not valid TwiML."""
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.mimetype == "text/xml"
    root = ET.fromstring(resp.get_data(as_text=True))  # noqa: S314
    assert root.tag == "Response"
    return root


def verbs(root: ET.Element) -> list[str]:
    return [child.tag for child in root]


def spoken(root: ET.Element) -> str:
    return " ".join((el.text or "") for el in root.iter("Say"))


def counter_total(name: str, **labels: str) -> float:
    """A Prometheus counter of this process, summed over the samples matching `labels`."""
    total = 0.0
    for metric in REGISTRY.collect():
        for sample in metric.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                total += sample.value
    return total


class Fallbacks:
    """How many webhook answers came from a fallback (a handler that raised, a spent time
    budget, an unknown path) since this was made. A handler that breaks still answers
    valid TwiML, so a test that only reads the TwiML cannot tell; this can."""

    COUNTER = "helpline_webhook_fallbacks_total"

    def __init__(self) -> None:
        self.start = counter_total(self.COUNTER)

    def fired(self) -> float:
        return counter_total(self.COUNTER) - self.start
