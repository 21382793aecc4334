"""helpdesk-ivr: the phone line of an IT help desk.

Importing the package loads nothing (gunicorn's config imports ``ivr.logs`` in its master): the
factory imports what it builds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the app: configuration, database, the line's blueprints, commands. Nothing starts
    here. The console and the JSON API are a second app sharing this one's configuration and
    extensions, built on the first request for one of their pages (``ivr.people``), so that a
    worker serving only Twilio never loads them."""
    from flask import Flask

    from tickets import pins

    from . import config as config_module
    from .db import register_db
    from .health import register_health
    from .logs import register_logging
    from .metrics import register_metrics
    from .people import register_people
    from .proxy import register_proxy

    app = Flask(__name__, instance_relative_config=True, static_folder=None)
    app.config.update(config_module.load(app.instance_path, overrides))
    pins.use_secret(app.config["SECRET_KEY"])  # PINs are keyed by a key derived from it
    register_logging(app)
    register_db(app)
    register_integrations(app)
    register_blueprints(app)
    register_health(app)
    register_metrics(app)
    register_people(app)
    register_proxy(app)  # outermost: both apps see the client's address and scheme
    register_cli(app)
    return app


def register_integrations(app: Flask) -> None:
    """The integrations file, read and checked now: a wrong one stops the start, not a send."""
    from . import config as config_module
    from .outbox.settings import IntegrationsError, load

    try:
        app.extensions["integrations"] = load(app.config["INTEGRATIONS_FILE"])
    except IntegrationsError as exc:
        raise config_module.ConfigError(f"INTEGRATIONS_FILE: {exc}") from None


def register_blueprints(app: Flask) -> None:
    """The surfaces Twilio and the ticket systems call (each request signed), with the
    security headers every answer carries."""
    from .headers import register_headers
    from .hooks import bp as hooks_bp
    from .voice import bp as voice_bp

    register_headers(app)
    app.register_blueprint(voice_bp)
    app.register_blueprint(hooks_bp)


def register_cli(app: Flask) -> None:
    """`flask ivr ...` and `flask db ...`, their modules imported when a command runs."""
    from .cli import register_commands

    register_commands(app)
