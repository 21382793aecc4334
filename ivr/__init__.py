"""helpdesk-ivr: the phone line of an IT help desk."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from . import config as config_module
from .console import register_console
from .db import register_db
from .metrics import register_metrics


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the app: configuration, database, blueprints, commands. Nothing starts here."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.update(config_module.load(app.instance_path, overrides))
    register_logging(app)
    register_db(app)
    register_console(app)
    register_blueprints(app)
    register_metrics(app)
    register_cli(app)
    return app


def register_logging(app: Flask) -> None:
    if not app.debug and not app.testing:
        logging.basicConfig(level=logging.INFO,
                            format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # twilio-python logs each request's parameters (phone numbers) at INFO: keep them out.
    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)
    # Alembic lists each of its plugins at INFO whenever the schema is checked at start-up.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def register_blueprints(app: Flask) -> None:
    """The surfaces machines call: Twilio's webhooks and the JSON API (no CSRF token)."""
    from .api import bp as api_bp
    from .console.auth import csrf
    from .voice import bp as voice_bp

    csrf.exempt(voice_bp)  # Twilio signs its requests; it cannot send a CSRF token
    app.register_blueprint(voice_bp)
    csrf.exempt(api_bp)  # integrations authenticate with a bearer token, not a session
    app.register_blueprint(api_bp)

    @app.get("/healthz")
    def healthz() -> tuple[str, int]:
        return "ok", 200


def register_cli(app: Flask) -> None:
    from .cli import register_commands

    register_commands(app)
