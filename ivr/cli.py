"""Command line: `flask ivr ...` (scripts, demo data, the terminal phone) and `flask db ...`."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from call_scripts import ScriptError
from tickets import versions as scripts

from . import migrate
from .phone import Phone, PhoneError, http_transport, local_url

ivr_cli = AppGroup("ivr", help="The help-desk line.")
db_cli = AppGroup("db", help="Database schema (Alembic migrations).")
scripts_cli = AppGroup("scripts", help="Call scripts.")
demo_cli = AppGroup("demo", help="Demo data.")
ivr_cli.add_command(scripts_cli)
ivr_cli.add_command(demo_cli)


def _session():
    return current_app.extensions["sessionmaker"]()


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Bring the database to the current schema."""
    migrate.upgrade(current_app.extensions["engine"], revision)
    click.echo(f"database at {revision}")


@db_cli.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Step the schema back to REVISION."""
    migrate.downgrade(current_app.extensions["engine"], revision)


@db_cli.command("revision")
@click.option("-m", "--message", required=True)
def db_revision(message: str) -> None:
    """Autogenerate a migration from the models."""
    migrate.revision(current_app.extensions["engine"], message)


KIND = click.option("--kind", type=click.Choice(["script", "policy"]), default=None,
                    help="Call script or hold policy (default: a policy if the file is under "
                         "a 'policies' folder).")


def _kind_of(file: str, kind: str | None) -> str:
    return kind or ("policy" if Path(file).parent.name == "policies" else "script")


@scripts_cli.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@KIND
def scripts_check(files: tuple[str, ...], kind: str | None) -> None:
    """Validate script or policy files; print every problem with its file, line and step."""
    failed = False
    for file in files:
        try:
            text = Path(file).read_text(encoding="utf-8")
            parsed = scripts.PARSERS[_kind_of(file, kind)](text, Path(file).name)
        except ScriptError as exc:
            failed = True
            for problem in exc.problems:
                click.echo(str(problem), err=True)
        else:
            steps = getattr(parsed, "steps", None)
            click.echo(f"{file}: ok" + (f" ({len(steps)} steps, languages "
                                         f"{', '.join(parsed.languages)})" if steps else ""))
    if failed:
        sys.exit(1)


@scripts_cli.command("publish")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--name", help="Name (default: the file name without .yaml; a policy named "
              "'tier2' holds tier 2's queue, 'default' every other).")
@click.option("--author", default="cli")
@KIND
def scripts_publish(file: str, name: str | None, author: str, kind: str | None) -> None:
    """Publish FILE as the next version of its script or policy; live calls keep theirs."""
    name = name or Path(file).stem
    with _session() as session:
        try:
            version = scripts.publish(session, name, Path(file).read_text("utf-8"), author,
                                      _kind_of(file, kind))
        except ScriptError as exc:
            for problem in exc.problems:
                click.echo(str(problem), err=True)
            sys.exit(1)
        session.commit()
        click.echo(f"published {name} version {version.version}")


@scripts_cli.command("sync")
def scripts_sync() -> None:
    """Publish the shipped scripts that changed since their live version."""
    with _session() as session:
        for version in scripts.sync_shipped(session):
            click.echo(f"published {version.name} version {version.version}")
        session.commit()


@demo_cli.command("load")
def demo_load() -> None:
    """Load the demo customers, equipment and tickets (once) and the shipped scripts."""
    from tickets.demo import load_demo

    with _session() as session:
        scripts.sync_shipped(session)
        added = load_demo(session)
        session.commit()
        logins = _demo_logins(session)
        session.commit()
    click.echo(f"demo data: {added} customers added" if added else "demo data already loaded")
    click.echo("console logins (log in at /login):")
    for username, password, role in logins:
        click.echo(f"  {username:<6} / {password:<14} ({role.replace('_', ' ')})")


def _demo_logins(session) -> list[tuple[str, str, str]]:
    """Seed the demo console logins (tickets/demo/users.yaml) once; returns them all."""
    import yaml
    from sqlalchemy import select

    from tickets.accounts import User
    from tickets.demo import DEMO_FILE
    from tickets.models import Agent

    from .auth import create_user

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


users_cli = AppGroup("users", help="Console logins.")
ivr_cli.add_command(users_cli)


@users_cli.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(["agent", "team_lead", "admin"]), default="agent",
              show_default=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Prompted for when not given (give it only in scripts).")
@click.option("--name", default="", help="Full name shown in the console and on timelines.")
@click.option("--agent-id", type=int, help="The analyst (flask ivr agents list) this login is.")
def users_create(username: str, role: str, password: str, name: str,
                 agent_id: int | None) -> None:
    """Create a console login (the first admin, for instance)."""
    from tickets.models import Agent

    from .auth import create_user

    with _session() as session:
        if agent_id is not None and session.get(Agent, agent_id) is None:
            raise click.BadParameter(f"no agent {agent_id}", param_hint="--agent-id")
        try:
            create_user(session, username, password, role, name=name, agent_id=agent_id)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        session.commit()
    click.echo(f"user {username} created ({role})")


agents_cli = AppGroup("agents", help="Analysts who take routed calls.")
ivr_cli.add_command(agents_cli)


@agents_cli.command("add")
@click.argument("name")
@click.option("--phone", help="The agent's phone (any format; stored as E.164).")
@click.option("--client", "client_identity", help="Twilio Client identity instead of a phone.")
@click.option("--tier", type=click.IntRange(1, 3), default=1, show_default=True)
@click.option("--skills", default="", help="Comma-separated service categories (empty: all).")
def agents_add(name: str, phone: str | None, client_identity: str | None, tier: int,
               skills: str) -> None:
    """Register an analyst (offline until they log in)."""
    from tickets.models import Agent
    from tickets.phones import to_e164

    number = to_e164(phone) if phone else None
    if phone and number is None:
        raise click.BadParameter(f"not a phone number: {phone}", param_hint="--phone")
    if not number and not client_identity:
        raise click.UsageError("give --phone or --client")
    with _session() as session:
        session.add(Agent(name=name, phone=number, client_identity=client_identity, tier=tier,
                          skills=[s.strip() for s in skills.split(",") if s.strip()]))
        session.commit()
    click.echo(f"agent {name} added (tier {tier})")


@agents_cli.command("list")
def agents_list() -> None:
    """Show analysts and their status."""
    from sqlalchemy import select

    from tickets.models import Agent
    from tickets.phones import mask_phone

    with _session() as session:
        for agent in session.scalars(select(Agent).order_by(Agent.tier, Agent.name)):
            where = mask_phone(agent.phone) if agent.phone else f"client:{agent.client_identity}"
            click.echo(f"{agent.id:>4}  tier {agent.tier}  {agent.status:<10} {agent.name}"
                       f"  ({where})")


@ivr_cli.command("scheduler")
def scheduler() -> None:
    """Run the scheduler: outbound calls, SLA escalation, status calls, routing sweep."""
    from .scheduler import SchedulerRefused, run

    try:
        run(current_app._get_current_object())
    except SchedulerRefused as exc:
        raise click.ClickException(str(exc)) from None


@ivr_cli.command("dispatch")
def dispatch() -> None:
    """Place every due outbound call now, once (what the scheduler does every few seconds)."""
    from .scheduler import SchedulerRefused, make_dispatcher, sqlite_lock

    try:
        lock = sqlite_lock(current_app.config["DATABASE_URL"])
    except SchedulerRefused as exc:
        raise click.ClickException(str(exc)) from None
    try:
        dispatcher = make_dispatcher(current_app._get_current_object())
        click.echo(f"{dispatcher.run_until_idle()} outbound call(s) handled")
        dispatcher.close()
    finally:
        if lock is not None:
            lock.close()


@ivr_cli.command("route")
def route() -> None:
    """Run one routing pass: bridge waiting callers to free agents (a safety-net sweep)."""
    from .clock import of
    from .twilio_rest import router

    app = current_app._get_current_object()
    with _session() as session:
        click.echo(f"{router(app).route_now(session, of(app)())} caller(s) bridged")


@ivr_cli.command("call")
@click.option("--from", "from_", default="+15551234567", show_default=True,
              help="Caller ID to present (try a demo customer's number, or 'anonymous').")
@click.option("--lang", help="Answer the language menu with this language (e.g. it, ms-MY).")
@click.option("--server", help="Where the app runs (default: PUBLIC_BASE_URL).")
@click.option("--in-process", is_flag=True, help="Drive this app in-process, no server needed.")
def call(from_: str, lang: str | None, server: str | None, in_process: bool) -> None:
    """A terminal phone: call the line as Twilio would and answer its prompts.

    Type digits to press keys, words to speak, an empty line to stay silent, 'q' to hang up.
    """
    cfg = current_app.config
    base = cfg["PUBLIC_BASE_URL"]
    if in_process:
        client = current_app.test_client()

        def transport(url, params, headers):
            response = client.post(local_url(url, ""), data=params, headers=headers)
            return response.status_code, response.get_data(as_text=True)
    else:
        target = server or base
        send = http_transport()

        def transport(url, params, headers):
            return send(local_url(url, target), params, headers)

    phone = Phone(transport, base, cfg["TWILIO_AUTH_TOKEN"], from_=from_,
                  to=cfg["TWILIO_PHONE_NUMBER"])
    try:
        phone.dial()
        while True:
            for heard in phone.heard:
                click.secho(f"[{heard.language}] ", fg="cyan", nl=False)
                click.echo(heard.text)
            if phone.hung_up:
                click.secho("(the line hung up)", fg="yellow")
                return
            if lang and phone.prompt and len(phone.languages) > 1:
                key = _language_key(phone, lang)
                if key:
                    click.secho(f"(pressing {key} for {lang})", fg="yellow")
                    phone.press(key)
                    lang = None
                    continue
            what = phone.prompt.input if phone.prompt else "?"
            entry = click.prompt(click.style(f"you ({what})", fg="green"), default="",
                                 show_default=False)
            if entry.strip().lower() in ("q", "quit", "hangup"):
                click.echo("(you hung up)")
                return
            if not entry.strip():
                phone.wait()
            elif entry.strip().replace("#", "").replace("*", "").isdigit() or entry in "*#":
                phone.press(entry.strip().rstrip("#") or entry.strip())
            else:
                phone.speak(entry.strip())
    except PhoneError as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(
            f"cannot reach the help desk at {server or base} ({exc}); start it with "
            "'make run', or use --in-process") from None


def _language_key(phone: Phone, lang: str) -> str | None:
    """The key the language menu offers for LANG, read from its prompt in that language."""
    for heard in phone.heard:
        if heard.language.lower().startswith(lang.lower()):
            digits = [c for c in heard.text if c.isdigit()]
            if digits:
                return digits[-1]
    return None


api_token_cli = AppGroup("api-token", help="Bearer tokens for the JSON API and /metrics.")
ivr_cli.add_command(api_token_cli)


@api_token_cli.command("create")
@click.argument("name")
def api_token_create(name: str) -> None:
    """Make a token for NAME (an integration); it is printed once and never stored."""
    from .api.tokens import create_token
    from .clock import now

    with _session() as session:
        _row, token = create_token(session, name, now())
        session.commit()
    click.echo(f"API token for {name} (shown once; keep it secret):")
    click.echo(token)


@api_token_cli.command("list")
def api_token_list() -> None:
    """Show tokens: name, created, last used, revoked."""
    from sqlalchemy import select

    from tickets.accounts import ApiToken

    with _session() as session:
        for row in session.scalars(select(ApiToken).order_by(ApiToken.id)):
            used = f"{row.last_used_at:%Y-%m-%d %H:%M}" if row.last_used_at else "never"
            click.echo(f"{row.id:>4}  {row.name:<30} created {row.created_at:%Y-%m-%d %H:%M}"
                       f"  last used {used}{'  REVOKED' if row.revoked else ''}")


@api_token_cli.command("revoke")
@click.argument("name")
def api_token_revoke(name: str) -> None:
    """Revoke the tokens named NAME."""
    from .api.tokens import revoke

    with _session() as session:
        count = revoke(session, name)
        session.commit()
    if not count:
        raise click.ClickException(f"no live token named {name}")
    click.echo(f"{count} token(s) revoked")
