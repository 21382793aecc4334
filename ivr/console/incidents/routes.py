"""The incidents pages: the list (with the declare form), one incident (banner, linked callers,
edit and resolve). Thin: the rules and the audit are ``tickets.incidents``'."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from tickets import TicketError, incident_suggestions, incidents
from tickets.models import Incident
from tickets.phones import mask_phone
from tickets.versions import live_policy

from ... import db
from ...clock import now
from ..agents.access import CONSOLE_ROLES
from ..auth import role_required
from . import bp

LEADS = ("team_lead", "admin")


def line_zone() -> ZoneInfo:
    """The line's time zone: the times a team lead types and reads are in it."""
    hours = live_policy(db.session()).hours
    return ZoneInfo(hours.timezone if hours else "UTC")


def _typed_time(name: str) -> datetime | None:
    """A time typed into the form (a datetime-local, in the line's zone), checked."""
    raw = (request.form.get(name) or "").strip()
    if not raw:
        return None
    try:
        typed = datetime.fromisoformat(raw)
    except ValueError:
        raise TicketError(f"{name.replace('_', ' ')} is not a date and time: {raw[:30]!r}") \
            from None
    return typed.replace(tzinfo=line_zone()) if typed.tzinfo is None else typed


def _messages() -> dict[str, str]:
    return {lang: request.form.get(f"message_{lang}", "") for lang in incidents.LANGUAGES}


def local(at: datetime | None) -> str:
    """A time as the datetime-local inputs and the pages show it, in the line's zone."""
    return at.astimezone(line_zone()).strftime("%Y-%m-%dT%H:%M") if at else ""


def _page(template: str, problem: str | None = None, typed: Any = None,
          **values: Any) -> ResponseReturnValue:
    """A page of incidents; after a refused change, the problem over the form as typed."""
    html = render_template(template, problem=problem,
                           typed=request.form if problem else (typed or {}),
                           categories=incidents.CATEGORIES, languages=incidents.LANGUAGES,
                           local=local, zone=line_zone().key, may_lead=current_user.role in LEADS,
                           mask_phone=mask_phone, **values)
    return (html, 400) if problem else html


def watch() -> Any:
    """The live policy's rule for suggesting a possible incident (N calls in M minutes)."""
    return live_policy(db.session()).incidents


def lead_suggestions() -> list[incident_suggestions.Suggestion]:
    """The possible incidents a team lead (or admin) sees now; nobody else sees any."""
    if not current_user.is_authenticated or current_user.role not in LEADS:
        return []
    rule = watch()
    return incident_suggestions.suggestions(db.session(), now(), calls=rule.suggest_after_calls,
                                 minutes=rule.within_minutes)


def active_incidents() -> list[Incident]:
    return incidents.active(db.session()) if current_user.is_authenticated else []


@bp.app_context_processor
def _banner() -> dict[str, Any]:
    """Every console page shows the active incidents' banner; a lead's pages the
    suggestions (read only when a page asks)."""
    return {"active_incidents": active_incidents, "incident_suggestions": lead_suggestions,
            "incident_watch": watch,
            "categories_named": incidents.CATEGORY_LABELS}


def _index(problem: str | None = None) -> ResponseReturnValue:
    session = db.session()
    active = incidents.active(session)
    category = request.args.get("category")  # declaring from a suggestion
    typed = {"category": category} if category in incidents.CATEGORIES else None
    return _page("incidents/index.html", problem, typed, active=active,
                 linked={i.id: incidents.linked_count(session, i) for i in active},
                 recent=incidents.recent(session))


@bp.get("/")
@role_required(*CONSOLE_ROLES)
def index() -> ResponseReturnValue:
    return _index()


@bp.post("/")
@role_required(*LEADS)
def declare() -> ResponseReturnValue:
    session = db.session()
    try:
        incident = incidents.declare(
            session, category=request.form.get("category", ""),
            service=request.form.get("service"), messages=_messages(),
            expected_at=_typed_time("expected_at"), started_at=_typed_time("started_at"),
            actor=current_user.username, now=now())
    except TicketError as exc:
        session.rollback()
        return _index(str(exc))
    session.commit()
    flash("Incident declared: callers hear it from now on.", "ok")
    return redirect(url_for(".show", incident_id=incident.id))


def _incident(incident_id: int) -> Incident:
    incident = db.session().get(Incident, incident_id)
    if incident is None:
        abort(404)
    return incident


def _show(incident: Incident, problem: str | None = None,
          form: str | None = None) -> ResponseReturnValue:
    session = db.session()
    return _page("incidents/show.html", problem, incident=incident, form=form,
                 parent=incident.parent_ticket, callers=incidents.linked_tickets(session, incident),
                 heard={lang: incidents.announcement(incident, lang, line_zone().key)
                        for lang in incidents.LANGUAGES})


@bp.post("/suggestions/dismiss")
@role_required(*LEADS)
def dismiss() -> ResponseReturnValue:
    """The team lead judged a possible incident none."""
    session = db.session()
    try:
        last = int(request.form.get("last_ticket_id", ""))
        incident_suggestions.dismiss(session, request.form.get("category", ""), last,
                          actor=current_user.username, now=now())
    except ValueError:
        abort(400, "the suggestion's tickets are not named")
    except TicketError as exc:
        abort(400, str(exc))
    session.commit()
    flash("Suggestion dismissed.", "ok")
    back = request.form.get("back")
    return redirect(url_for("agents.dashboard") if back == "dashboard" else url_for(".index"))


@bp.get("/<int:incident_id>")
@role_required(*CONSOLE_ROLES)
def show(incident_id: int) -> ResponseReturnValue:
    return _show(_incident(incident_id))


@bp.post("/<int:incident_id>/edit")
@role_required(*LEADS)
def edit(incident_id: int) -> ResponseReturnValue:
    session, incident = db.session(), _incident(incident_id)
    try:
        started = _typed_time("started_at")
        if started is None:
            raise TicketError("started at is needed")
        changed = incidents.edit(
            session, incident, actor=current_user.username, now=now(),
            category=request.form.get("category", ""), service=request.form.get("service"),
            messages=_messages(), expected_at=_typed_time("expected_at"), started_at=started)
    except TicketError as exc:
        session.rollback()
        return _show(_incident(incident_id), str(exc), "edit")
    session.commit()
    flash("Incident changed: callers hear the new message." if changed else "Nothing changed.",
          "ok")
    return redirect(url_for(".show", incident_id=incident_id))


@bp.post("/<int:incident_id>/resolve")
@role_required(*LEADS)
def resolve(incident_id: int) -> ResponseReturnValue:
    session, incident = db.session(), _incident(incident_id)
    try:
        notices = incidents.resolve(session, incident, note=request.form.get("note", ""),
                                    actor=current_user.username, now=now(),
                                    texting=current_app.extensions["integrations"].sms.enabled)
    except TicketError as exc:
        session.rollback()
        return _show(_incident(incident_id), str(exc), "resolve")
    session.commit()
    flash(f"Incident resolved: {len(notices)} caller(s) will be told.", "ok")
    return redirect(url_for(".show", incident_id=incident_id))
