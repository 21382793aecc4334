"""The shipped demo data: a few customers with equipment and tickets."""

from __future__ import annotations

from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..intake import open_ticket
from ..models import Agent, Customer, CustomerPhone, Equipment
from ..statuses import AgentStatus, TicketStatus
from ..timeline import record_event

DEMO_FILE = Path(__file__).parent / "customers.yaml"


def load_demo(session: Session) -> int:
    """Add the demo customers not yet present; returns how many were added."""
    data = yaml.safe_load(DEMO_FILE.read_text(encoding="utf-8"))
    added = 0
    for raw in data["customers"]:
        if session.scalar(select(Customer).where(Customer.account_number == raw["account_number"])):
            continue
        customer = Customer(
            name=raw["name"], department=raw.get("department"), location=raw.get("location"),
            account_number=raw["account_number"], language=raw.get("language"),
            supported=raw.get("supported", True),
            phones=[CustomerPhone(number=n) for n in raw.get("phones", [])],
            equipment=[Equipment(**e) for e in raw.get("equipment", [])],
        )
        session.add(customer)
        session.flush()
        for t in raw.get("tickets", []):
            ticket, _pin = open_ticket(session, fields={"category": t["category"],
                                                        "equipment": t.get("equipment"),
                                                        "problem": t["problem"]},
                                       priority=t["priority"], customer_id=customer.id,
                                       language=customer.language,
                                       status=TicketStatus(t.get("status", "open")))
            if t.get("note"):
                record_event(session, "note", t["note"], ticket_id=ticket.id, actor="demo",
                             public=True)
        added += 1
    for raw in data.get("agents", []):
        if session.scalar(select(Agent).where(Agent.phone == raw["phone"])) is None:
            session.add(Agent(name=raw["name"], phone=raw["phone"], tier=raw["tier"],
                              skills=raw.get("skills", []), status=AgentStatus.OFFLINE))
    return added
