"""``POST /hooks/<connector>``: the ticket systems' signed webhooks (a Zammad trigger, a GLPI
or Jira webhook), verified by each system's scheme, applied to our ticket in one transaction.
The answer comes from our database alone: nothing here waits on another system."""

from __future__ import annotations

import logging
import time

from flask import Blueprint, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from . import db
from .clock import now

log = logging.getLogger(__name__)

bp = Blueprint("hooks", __name__, url_prefix="/hooks")
MAX_BODY = 1_000_000  # bytes: a ticket's webhook is a few kilobytes


@bp.post("/<name>")
def connector_hook(name: str) -> ResponseReturnValue:
    """A ticket system tells of one of its tickets."""
    connector = current_app.extensions["integrations"].connector(name)
    if connector is None or not connector.webhook_secret:
        return jsonify(error="no such webhook"), 404
    from .outbox.connectors import inbound  # loaded by the first ticket system's webhook

    body = request.get_data(cache=True)
    if len(body) > MAX_BODY:
        return jsonify(error="too large"), 413
    try:
        headers = {key.lower(): value for key, value in request.headers.items()}
        inbound.verify(connector, body, headers, time.time())
    except inbound.Forged as forged:
        log.warning("webhook of %s refused: %s", name, forged)
        return jsonify(error="signature refused"), 401
    data = request.get_json(silent=True)
    if data is None:
        return jsonify(error="the body is not JSON"), 400
    session = db.session()
    done = [inbound.apply(session, connector, said, now())
            for said in inbound.read(connector, data)]
    session.commit()
    log.info("webhook of %s: %s", name, "; ".join(done) or "nothing we follow")
    return jsonify(done=done), 200
