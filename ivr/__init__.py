"""helpdesk-ivr: the phone line of an IT help desk."""

from __future__ import annotations

from typing import Any

from flask import Flask

from tickets import pins

from . import config as config_module
from .console import register_console
from .db import register_db
from .health import register_health
from .logs import register_logging
from .metrics import register_metrics
from .proxy import register_proxy


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the app: configuration, database, blueprints, commands. Nothing starts here."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.update(config_module.load(app.instance_path, overrides))
    pins.use_secret(app.config["SECRET_KEY"])  # PINs are keyed by a key derived from it
    register_logging(app)
    register_proxy(app)
    register_db(app)
    register_integrations(app)
    register_console(app)
    register_blueprints(app)
    register_health(app)
    register_metrics(app)
    register_cli(app)
    return app


def register_integrations(app: Flask) -> None:
    """The integrations file, read and checked now: a wrong one stops the start, not a send."""
    from .outbox.settings import IntegrationsError, load

    try:
        app.extensions["integrations"] = load(app.config["INTEGRATIONS_FILE"])
    except IntegrationsError as exc:
        raise config_module.ConfigError(f"INTEGRATIONS_FILE: {exc}") from None


def register_blueprints(app: Flask) -> None:
    """The surfaces machines call: Twilio's webhooks and the JSON API (no CSRF token)."""
    from .api import bp as api_bp
    from .console.auth import csrf
    from .voice import bp as voice_bp

    csrf.exempt(voice_bp)  # Twilio signs its requests; it cannot send a CSRF token
    app.register_blueprint(voice_bp)
    csrf.exempt(api_bp)  # integrations authenticate with a bearer token, not a session
    app.register_blueprint(api_bp)
    from .hooks import bp as hooks_bp

    csrf.exempt(hooks_bp)  # the ticket systems sign their webhooks (ivr.hooks)
    app.register_blueprint(hooks_bp)


def register_cli(app: Flask) -> None:
    from .cli import register_commands

    register_commands(app)
