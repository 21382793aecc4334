"""Which messages an event makes: one per webhook subscribed to its type, and an SMS where the
caller should have one (``sms.SmsPlanner``). Run by the deliverer, once per event."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from tickets.outbox import WEBHOOK_TOPICS, OutboxEvent, add_message

from .deliverer import FanOut
from .settings import Integrations
from .webhooks import body_of


class Planner(Protocol):
    def plan(self, session: Session, event: OutboxEvent, now: datetime) -> None: ...


def fan_out(integrations: Integrations, *planners: Planner) -> FanOut:
    """The fan-out of this deployment's integrations."""

    def run(session: Session, event: OutboxEvent, now: datetime) -> None:
        if event.topic in WEBHOOK_TOPICS:
            for target in integrations.webhooks:
                if event.topic in target.events:
                    add_message(session, event, "webhook", target.name,
                                body_of(event.topic, event.created_at, event.data), now,
                                target.max_attempts)
        for planner in planners:
            planner.plan(session, event, now)

    return run
