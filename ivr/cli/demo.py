"""`flask ivr demo load`: demo customers, tickets and console logins, and the shipped scripts."""

from __future__ import annotations

import click
import yaml
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy.orm import Session

from tickets import versions
from tickets.accounts import User
from tickets.demo import DEMO_FILE, load_demo
from tickets.models import Agent

from ..console.admin.sections import set_value
from ..console.auth import create_user
from ..queues.agents import set_phone_pin
from .session import open_session

cli = AppGroup("demo", help="Demo data.")


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def demo_policy_text() -> str:
    """The shipped hold policy with the desk open all day every day: the demo shows the whole
    line (the hold, the analysts) whenever it is tried. An admin changes the hours at
    /admin (Hours and SLA) to hear the after-hours line."""
    shipped = versions.shipped("policy")[versions.POLICY_NAME].read_text(encoding="utf-8")
    text = set_value(shipped, ["hours", "weekly"], {day: ["00:00-24:00"] for day in WEEKDAYS})
    return set_value(text, ["hours", "holidays"], [])


@cli.command("load")
def demo_load() -> None:
    """Load the demo customers, equipment and tickets (once), the shipped scripts and the
    demo's hold policy (open every day, all day)."""
    with open_session() as session:
        demo_policy = demo_policy_text()
        versions.sync_shipped(session, {("policy", versions.POLICY_NAME): demo_policy})
        if versions.current(session, versions.POLICY_NAME, "policy").text != demo_policy:
            versions.publish(session, versions.POLICY_NAME, demo_policy, "demo", "policy")
        added = load_demo(session)
        session.commit()
        logins = demo_logins(session)
        pin = demo_phone_pins(session)
        session.commit()
    click.echo(f"demo data: {added} customers added" if added else "demo data already loaded")
    click.echo("console logins (log in at /login):")
    for username, password, role in logins:
        click.echo(f"  {username:<6} / {password:<14} ({role.replace('_', ' ')})")
    click.echo(f"analysts log in by phone (flask ivr call --from THEIR_NUMBER) with PIN {pin}")
    click.echo("the demo desk is open every day, all day (change it at /admin, Hours and SLA)")


def demo_logins(session: Session) -> list[tuple[str, str, str]]:
    """Seed the demo console logins (tickets/demo/users.yaml) once; returns them all."""
    data = yaml.safe_load((DEMO_FILE.parent / "users.yaml").read_text(encoding="utf-8"))
    logins = []
    for raw in data["users"]:
        agent = (session.scalar(select(Agent).where(Agent.phone == raw["agent_phone"]))
                 if raw.get("agent_phone") else None)
        if session.scalar(select(User).where(User.username == raw["username"])) is None:
            create_user(session, raw["username"], raw["password"], raw["role"],
                        name=raw.get("name") or (agent.name if agent else raw["username"]),
                        agent_id=agent.id if agent else None)
        logins.append((raw["username"], raw["password"], raw["role"]))
    return logins


def demo_phone_pins(session: Session) -> str:
    """Give the demo analysts without a phone PIN the demo one; returns it."""
    data = yaml.safe_load(DEMO_FILE.read_text(encoding="utf-8"))
    for raw in data.get("agents", []):
        agent = session.scalar(select(Agent).where(Agent.phone == raw["phone"]))
        if agent is not None and agent.pin_hash is None:
            set_phone_pin(agent, str(data["agent_pin"]))
    return str(data["agent_pin"])
