"""Who may see what in the agent console: the analyst behind a login, the tiers whose queue
they watch and whose tickets they open."""

from __future__ import annotations

from flask import abort
from flask_login import current_user
from sqlalchemy import select

from tickets import queries
from tickets.models import Agent, Ticket
from tickets.versions import live_policy

from ... import db

CONSOLE_ROLES = ("agent", "team_lead", "admin")
ACTOR_MAX = 80  # TicketEvent.actor's column; a login's full name may be longer


def my_agent() -> Agent | None:
    """The analyst behind the logged-in user, if any."""
    return db.session().get(Agent, current_user.agent_id) if current_user.agent_id else None


def sees_every_tier() -> bool:
    return bool(current_user.role in ("team_lead", "admin"))


def queue_tiers() -> list[int] | None:
    """The tiers whose queue the user watches (None: every tier)."""
    if sees_every_tier():
        return None
    agent = my_agent()
    return [agent.tier] if agent else []


def ticket_tiers() -> list[int] | None:
    """The tiers whose tickets the user may search (None: every tier)."""
    if live_policy(db.session()).agents_see_other_tiers:
        return None
    return queue_tiers()


def may_open(ticket: Ticket) -> bool:
    """Team leads and admins open every ticket; an analyst their tier's (unless the policy lets
    them see every tier), the tickets they hold and those of the caller they are talking to."""
    if sees_every_tier():
        return True
    agent = my_agent()
    if agent is None:
        return False
    if ticket.tier == agent.tier or ticket.agent_id == agent.id:
        return True
    if live_policy(db.session()).agents_see_other_tiers:
        return True
    return any(t.id == ticket.id for t in queries.tickets_on_call(db.session(), agent.id))


def ticket_or_404(number: str) -> Ticket:
    """The ticket of that number, if the user may open it (404 or 403 otherwise)."""
    ticket = db.session().scalar(select(Ticket).where(Ticket.number == number))
    if ticket is None:
        abort(404)
    if not may_open(ticket):
        abort(403)
    return ticket


def actor() -> str:
    """Who did it, as the timeline names them."""
    return str(current_user.name)[:ACTOR_MAX]
