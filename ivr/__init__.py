"""helpdesk-ivr: the phone line of an IT help desk."""

from __future__ import annotations

from typing import Any

from flask import Flask

from . import config as config_module
from .auth import register_auth
from .db import register_db
from .health import register_health
from .logs import register_logging
from .metrics import register_metrics
from .proxy import register_proxy


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the app: configuration, database, blueprints, commands. Nothing starts here."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.update(config_module.load(app.instance_path, overrides))
    register_logging(app)
    register_proxy(app)
    register_db(app)
    register_auth(app)
    register_blueprints(app)
    register_health(app)
    register_metrics(app)
    register_cli(app)
    return app


def register_blueprints(app: Flask) -> None:
    from .admin import bp as admin_bp
    from .agents import bp as agents_bp
    from .api import bp as api_bp
    from .auth import csrf
    from .reporting import bp as reports_bp
    from .voice import bp as voice_bp

    csrf.exempt(voice_bp)  # Twilio signs its requests; it cannot send a CSRF token
    app.register_blueprint(voice_bp)
    app.register_blueprint(agents_bp)
    app.register_blueprint(admin_bp)
    csrf.exempt(api_bp)  # integrations authenticate with a bearer token, not a session
    app.register_blueprint(api_bp)
    app.register_blueprint(reports_bp)


def register_cli(app: Flask) -> None:
    from .cli import db_cli, ivr_cli

    app.cli.add_command(ivr_cli)
    app.cli.add_command(db_cli)
