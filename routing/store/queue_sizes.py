"""The size of each provider's Twilio queue, set through Twilio's REST API (the Queue resource).

Twilio creates a queue on the first `<Enqueue>` with its default size (100); past it a caller
gets QueueResult=queue-full and the overflow route. Disaster mode raises every provider's queue
to `disaster_queue_size`, and turning it off restores `queue_size`. The change is owed in the
same transaction as the mode's row (`config.outbox`) and delivered after the commit, never in
a webhook: a Twilio that is slow or down leaves the row owed for the sweep, and a second
delivery only sets the same sizes again.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from config import outbox
from config.extensions import deployment, settings

log = logging.getLogger(__name__)
RESIZE = "queues.resize"  # the outbox kind (payload: {"size": n})


def owe_resize(db: Session, disaster_on: bool, at: datetime) -> None:
    """Owe the queue size that goes with the mode: raised while on, the ordinary one off."""
    cfg = settings()
    size = cfg.disaster_queue_size if disaster_on else cfg.queue_size
    outbox.owe(db, RESIZE, {"size": size}, at)


@outbox.handler(RESIZE, background=True)
def resize(payload: dict[str, Any]) -> None:
    """Every provider's queue at `size`: updated where Twilio has it, created where not."""
    size = int(payload["size"])
    client = current_app.extensions["twilio_client_factory"]()
    names = sorted({provider.queue for provider in deployment().providers.values()})
    existing = {queue.friendly_name: queue.sid for queue in client.queues.list()}
    for name in names:
        if name in existing:
            client.queues(existing[name]).update(max_size=size)
        else:
            client.queues.create(friendly_name=name, max_size=size)
    log.info("queue size %d set on %d provider queue(s)", size, len(names))
