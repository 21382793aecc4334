"""The JSON API for integrations (``/api/v1``): tickets and live queues, bearer-token auth,
described by the OpenAPI document at ``/api/v1/openapi.json``."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from . import errors, incidents, routes  # noqa: E402,F401  (handlers and routes attach themselves to bp)
