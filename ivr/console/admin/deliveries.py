"""The delivery log: every message the outbox sent or tried to send (webhooks, SMS), newest
first, failures first to the eye; a failed one can be sent again."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from tickets import outbox
from tickets.models import Ticket
from tickets.outbox import MessageStatus, OutboxMessage

from ... import db
from ...clock import now
from ..auth import audit, role_required
from . import bp

PAGE = 200
SHOWN = {"all": None, "failed": (MessageStatus.FAILED,),
         "waiting": (MessageStatus.PENDING, MessageStatus.SENDING),
         "delivered": (MessageStatus.DELIVERED,), "skipped": (MessageStatus.SKIPPED,)}


@bp.get("/deliveries")
@role_required("admin")
def deliveries() -> str:
    shown = request.args.get("show", "all")
    if shown not in SHOWN:
        shown = "all"
    query = (select(OutboxMessage, Ticket.number)
             .outerjoin(Ticket, Ticket.id == OutboxMessage.ticket_id)
             .order_by(OutboxMessage.id.desc()).limit(PAGE))
    statuses = SHOWN[shown]
    if statuses:
        query = query.where(OutboxMessage.status.in_(statuses))
    rows = db.session().execute(query).all()
    return render_template("admin/deliveries.html", rows=rows, shown=shown, choices=SHOWN,
                           describe=outbox.describe)


@bp.post("/deliveries/<int:message_id>/retry")
@role_required("admin")
def delivery_retry(message_id: int) -> ResponseReturnValue:
    session = db.session()
    message = session.get(OutboxMessage, message_id)
    if message is None:
        abort(404)
    if not outbox.retry(message, now()):
        flash(f"Message {message_id} is {message.status}: only a failed one is sent again.",
              "error")
    else:
        audit(session, "delivery_retry", f"outbox message {message_id}",
              channel=message.channel, to=message.target, topic=message.topic)
        session.commit()
        flash(f"Message {message_id} will be sent again by the scheduler.", "ok")
    return redirect(url_for("admin.deliveries", show=request.args.get("show", "all")))
