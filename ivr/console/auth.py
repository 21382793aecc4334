"""Console access: logins (Flask-Login, argon2 hashes), roles, CSRF, expiring sessions, audit.

`csrf` is the app's CSRFProtect: a blueprint that machines call (Twilio's webhooks, the token
API) is exempted with `csrf.exempt(bp)` before it is registered.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from functools import cache, wraps
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy import select
from sqlalchemy.orm import Session

from tickets.accounts import ROLES, AuditLog, User

from .. import db
from ..clock import now
from .guard import login_failures_per_user, login_per_client, register_guard

if TYPE_CHECKING:
    from argon2 import PasswordHasher

csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please log in to see that page."

bp = Blueprint("auth", __name__)

__all__ = ["audit", "bp", "create_user", "csrf", "login_required", "register_auth",
           "role_required"]


class ConsoleUser:
    """The logged-in user as Flask-Login sees it (tickets.models stays free of Flask)."""

    is_authenticated = True
    is_anonymous = False

    def __init__(self, user: User):
        self.id = user.id
        self.username = user.username
        self.name = user.name or user.username
        self.role = user.role
        self.agent_id = user.agent_id
        self.is_active = user.active

    def get_id(self) -> str:
        return str(self.id)

    def has_role(self, *roles: str) -> bool:
        return self.role in roles


@cache
def _hasher() -> PasswordHasher:
    """argon2, loaded by the first login or new password rather than by every web worker."""
    from argon2 import PasswordHasher

    return PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher().hash(password)


@cache
def _stand_in_hash() -> str:
    return _hasher().hash(secrets.token_urlsafe(16))


def check_password(user: User | None, password: str) -> bool:
    """Does the password match? An unknown user costs the same hashing as a known one, so
    the answer's timing does not tell which usernames exist."""
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return _hasher().verify(user.password_hash if user else _stand_in_hash(), password) \
            and user is not None
    except (VerificationError, InvalidHashError):
        return False


def create_user(session: Session, username: str, password: str, role: str = "agent",
                name: str = "", agent_id: int | None = None) -> User:
    """A new console login with an argon2 hash of its password."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r} (one of {', '.join(ROLES)})")
    if len(password) < 8:
        raise ValueError("a password needs at least 8 characters")
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise ValueError(f"user {username!r} exists already")
    user = User(username=username, name=name or username, password_hash=hash_password(password),
                role=role, agent_id=agent_id, active=True)
    session.add(user)
    session.flush()
    return user


def audit(session: Session, action: str, target: str = "", **detail: Any) -> AuditLog:
    """Write who did what to the audit log (in the caller's transaction)."""
    who = current_user.username if current_user.is_authenticated else "anonymous"
    row = AuditLog(at=now(), user=who, action=action, target=target, detail=detail)
    session.add(row)
    return row


def role_required(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Log in first (redirect), then the role must be one of ROLES (else 403)."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        @login_required
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorate


@login_manager.user_loader
def _load_user(user_id: str) -> ConsoleUser | None:
    try:
        user = db.session().get(User, int(user_id))
    except ValueError:
        return None
    return ConsoleUser(user) if user is not None and user.active else None


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc and target.startswith("/") else None


def return_to() -> str | None:
    """Where to come back after logging in again: this page, or for a form (a POST-only URL),
    the page the form was on."""
    if request.method == "GET":
        return request.full_path.rstrip("?")
    page = urlsplit(request.referrer or "")
    if page.netloc != request.host:
        return None
    return _safe_next(urlunsplit(("", "", page.path, page.query, "")))


def home_for(user: Any) -> str:
    return url_for("admin.index") if user.role == "admin" else url_for("agents.dashboard")


@bp.route("/login", methods=["GET", "POST"])
@login_per_client
@login_failures_per_user
def login() -> Any:
    """Log in (throttled: ivr.console.guard)."""
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        user = db.session().scalar(select(User).where(User.username == username))
        # The password is checked first, known user or not: the answer takes as long either way.
        if check_password(user, request.form.get("password", "")) and user is not None \
                and user.active:
            session.clear()
            session.permanent = True
            login_user(ConsoleUser(user))
            session["seen"] = now().timestamp()
            return redirect(_safe_next(request.args.get("next")) or home_for(user))
        flash("Wrong username or password.", "error")
        return render_template("login.html"), 401
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    return render_template("login.html")


@bp.post("/logout")
def logout() -> Any:
    logout_user()
    session.clear()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))


@bp.get("/")
def index() -> Any:
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    return redirect(url_for("auth.login"))


def register_auth(app: Flask) -> None:
    """Logins (throttled), CSRF on every form, security headers, and sessions that end after
    SESSION_MINUTES idle. The session's lifetime and the cookie's HttpOnly, SameSite and
    Secure flags are set by the configuration (ivr.config.flask_settings)."""
    register_guard(app)
    login_manager.init_app(app)
    csrf.init_app(app)
    app.register_blueprint(bp)

    @app.before_request
    def _expire_idle_session() -> Any:
        if "_user_id" not in session:
            return None
        t = now().timestamp()
        seen = session.get("seen", 0)
        if t - seen > current_app.permanent_session_lifetime.total_seconds():
            logout_user()
            session.clear()
            flash("Your session expired; please log in again.", "info")
            if request.endpoint and request.endpoint != "auth.login":
                return redirect(url_for("auth.login", next=return_to()))
            return None
        if request.headers.get("X-Console-Poll") != "1":  # live refreshes are not activity
            session["seen"] = t
        return None

    @app.errorhandler(CSRFError)
    def _csrf_error(exc: CSRFError) -> Any:
        return render_template("error.html", code=400,
                               message=f"The form was refused: {exc.description} "
                                       "Reload the page and try again."), 400

    @app.errorhandler(403)
    def _forbidden(exc: Exception) -> Any:
        if request.blueprint in ("voice", "api"):
            return exc  # machines get the plain answer
        return render_template("error.html", code=403,
                               message="You do not have access to this page."), 403
