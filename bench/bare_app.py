"""The baseline bench/http_load.py serves beside the line under the same gunicorn
(`bare_app:app`): a bare Flask app answering every POST with one constant TwiML document
(the file named by BENCH_BARE_BODY: a real answer of the line, of its median size), text/xml.
No signature check, no database: what any Flask webhook costs."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, Response

BODY = Path(os.environ["BENCH_BARE_BODY"]).read_bytes()

app = Flask("bare")


@app.post("/<path:_path>")
def answer(_path: str) -> Response:
    return Response(BODY, status=200, mimetype="text/xml")


@app.get("/healthz")
def healthz() -> tuple[str, int]:
    return "ok", 200
