"""The browser phone: dial a draft script and press, speak, wait or hang up, through the
app's own signed webhooks (see trial.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, jsonify, request
from flask import session as web_session
from flask.typing import ResponseReturnValue
from flask_login import current_user

from tickets import versions

from ... import db
from ...phone import Phone, PhoneError
from ..auth import role_required
from . import bp, trial
from .scripts import SCRIPT_NAME_MAX, check


@bp.post("/phone/start")
@role_required("admin")
def phone_start() -> ResponseReturnValue:
    """Dial the draft script (JSON {name, text}); answers what the caller hears."""
    data = request.get_json(silent=True) or {}
    name = str(data.get("name") or "")
    if len(name) > SCRIPT_NAME_MAX:
        return jsonify({"error": f"a script name has at most {SCRIPT_NAME_MAX} characters"}), 400
    text = str(data.get("text") or "").replace("\r\n", "\n")
    _parsed, problems = check("script", name, text)
    if problems:
        return jsonify({"error": "the draft has problems", "problems":
                        [str(p) for p in problems]}), 400
    session = db.session()
    draft = versions.publish(session, trial.DRAFT_PREFIX + name, text, current_user.username)
    session.commit()
    session.close()  # the phone's webhooks run in their own transactions
    return _drive(lambda: trial.dial_draft(draft.id))


def _act(phone: Phone, what: str, data: dict[str, Any]) -> None:
    if what == "press":
        phone.press(str(data.get("digits", "")))
    elif what == "speak":
        phone.speak(str(data.get("text", "")))
    elif what == "wait":
        phone.wait()
    elif what == "hangup":
        phone.heard = []
        phone.hung_up = True
        phone.status("completed")
    else:
        abort(404)


@bp.post("/phone/<what>")
@role_required("admin")
def phone_input(what: str) -> ResponseReturnValue:
    """Press keys, speak, stay silent or hang up on the trial call."""
    state = web_session.get("trial_phone")
    if state is None:
        return jsonify({"error": "no trial call: dial first"}), 400
    data = request.get_json(silent=True) or {}
    db.session().close()

    def act() -> Phone:
        phone = trial.restore(state)
        _act(phone, what, data)
        return phone

    return _drive(act)


def _drive(act: Callable[[], Phone]) -> ResponseReturnValue:
    """Run the phone; keep its state in the browser's session until the call ends."""
    try:
        phone = act()
    except PhoneError as exc:
        web_session.pop("trial_phone", None)
        return jsonify({"error": str(exc), "hung_up": True}), 409
    if phone.hung_up:
        web_session.pop("trial_phone", None)
    else:
        web_session["trial_phone"] = trial.save(phone)
    return jsonify(trial.report(phone))
