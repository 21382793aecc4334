"""The console people use in a browser: logins (auth), the analysts' queue and tickets
(agents), scripts, policies and staff (admin), and the team lead's reports (reporting)."""

from __future__ import annotations

from flask import Flask

from .auth import register_auth


def register_console(app: Flask) -> None:
    """Logins, CSRF and idle expiry first, then one blueprint per part of the console."""
    from .admin import bp as admin_bp
    from .agents import bp as agents_bp
    from .incidents import bp as incidents_bp
    from .reporting import bp as reports_bp

    register_auth(app)
    app.register_blueprint(agents_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(incidents_bp)
