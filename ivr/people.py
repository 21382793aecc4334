"""The app people and integrations use: the console (pages, logins) and the JSON API.

A second Flask app beside the line's, sharing its configuration and its extensions (the engine,
the clock, the Twilio client...), and built on the first request for a path the line does not
serve. The line's app answers Twilio's webhooks, the ticket systems' hooks, the health checks
and /metrics; every other path is the people's. So a gunicorn worker that only ever answers
Twilio never imports the console, the API or what they need (Flask-Login, Flask-WTF, WTForms,
Flask-Limiter, the reports): issue 13, a worker under 80 MB.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from flask import Flask

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment


def create_people_app(line: Flask) -> Flask:
    """The console and the API, on the line's configuration and extensions."""
    from .api import bp as api_bp
    from .console import register_console
    from .console.auth import csrf
    from .db import close_sessions
    from .voice import bp as voice_bp

    people = Flask(line.import_name, instance_relative_config=True)
    people.config = line.config  # one configuration: a change made to one is the other's
    people.extensions = line.extensions
    close_sessions(people)
    register_console(people)
    csrf.exempt(api_bp)  # integrations authenticate with a bearer token, not a session
    people.register_blueprint(api_bp)
    # The console and the API place calls whose URLs Twilio fetches (ivr.twilio_rest.public_url
    # builds them from the URL map): the webhooks are in this map too, though the line serves
    # every request for them.
    csrf.exempt(voice_bp)
    people.register_blueprint(voice_bp)
    return people


class Dispatcher:
    """WSGI: a request for a path the line's app serves goes to it, every other to the people's
    app, built on the first such request (once, whatever the threads)."""

    def __init__(self, line: Flask, line_wsgi: WSGIApplication):
        self.line, self.line_wsgi = line, line_wsgi
        self._app: Flask | None = None
        self._segments: frozenset[str] | None = None
        self._lock = threading.Lock()

    @property
    def app(self) -> Flask:
        """The people's app (built now if it was not)."""
        if self._app is None:
            with self._lock:
                if self._app is None:
                    self._app = create_people_app(self.line)
        return self._app

    @property
    def built(self) -> bool:
        return self._app is not None

    def is_line(self, path: str) -> bool:
        """Whether the path's first segment is one of the line's (``voice``, ``healthz``...)."""
        if self._segments is None:
            self._segments = frozenset(rule.rule.split("/")[1]
                                       for rule in self.line.url_map.iter_rules())
        parts = path.split("/", 2)
        return len(parts) > 1 and parts[1] in self._segments

    def __call__(self, environ: WSGIEnvironment,
                 start_response: StartResponse) -> Iterable[bytes]:
        if self.is_line(environ.get("PATH_INFO", "")):
            return self.line_wsgi(environ, start_response)
        return self.app.wsgi_app(environ, start_response)


def register_people(app: Flask) -> None:
    """Every path the line does not serve goes to the people's app (``people_app(app)``)."""
    dispatcher = app.extensions["people"] = Dispatcher(app, app.wsgi_app)
    # Flask's documented way to add WSGI middleware (mypy sees a method being replaced).
    app.wsgi_app = dispatcher  # type: ignore[method-assign]


def people_app(app: Any) -> Flask:
    """The console's and the API's app beside the line's APP (built now if it was not)."""
    dispatcher: Dispatcher = app.extensions["people"]
    return dispatcher.app
