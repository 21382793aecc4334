"""The API's errors: every one is JSON, ``{"error": {"status": ..., "message": ...,
"field": ...}}``; 400 names the field that is wrong, 401 a missing or revoked token, 404 what
was not found."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from . import bp


class ApiError(Exception):
    """An answer other than 2xx, with the field to blame when there is one."""

    def __init__(self, status: int, message: str, field: str | None = None):
        super().__init__(message)
        self.status, self.message, self.field = status, message, field


def error_response(status: int, message: str, field: str | None = None) -> Response:
    body: dict[str, Any] = {"status": status, "message": message}
    if field:
        body["field"] = field
    response = jsonify(error=body)
    response.status_code = status
    return response


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError) -> Response:
    return error_response(exc.status, exc.message, exc.field)


@bp.app_errorhandler(404)
@bp.app_errorhandler(405)
def _http_error(exc: HTTPException) -> Response | HTTPException:
    """Unknown paths and methods under /api/v1 answer JSON too; elsewhere Flask's pages."""
    if not request.path.startswith(bp.url_prefix or "/api/v1"):
        return exc
    response = error_response(exc.code or 500, exc.description or exc.name)
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response
