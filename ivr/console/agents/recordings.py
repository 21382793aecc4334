"""Playing a ticket's recordings (voicemails, comments recorded on a call) in the console: the
media is fetched from Twilio by this service with the account's credentials and streamed on to
an analyst who may open the ticket; the page only ever names the recording by its timeline
line, never by Twilio's URL."""

from __future__ import annotations

from flask import Response, abort, current_app, request
from flask.typing import ResponseReturnValue

from tickets import recordings

from ... import db
from ...recording_media import RecordingUnavailable, fetch
from ..auth import role_required
from . import bp
from .access import CONSOLE_ROLES, ticket_or_404


@bp.get("/tickets/<number>/recordings/<int:event_id>")
@role_required(*CONSOLE_ROLES)
def recording(number: str, event_id: int) -> ResponseReturnValue:
    ticket = ticket_or_404(number)
    found = recordings.find(db.session(), ticket, event_id)
    if found is None:
        abort(404)
    try:
        media = fetch(current_app.config, found.sid, request.headers.get("Range"))
    except RecordingUnavailable as exc:
        return Response(f"{exc}\n", status=exc.status, mimetype="text/plain")
    response = Response(media.chunks, status=media.status, headers=media.headers,
                        direct_passthrough=True)
    response.headers["Cache-Control"] = "private, no-store"
    response.call_on_close(media.close)
    return response
