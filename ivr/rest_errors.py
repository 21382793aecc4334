"""What a failed request to an outside REST API raises (Twilio's, a webhook's endpoint).

``except rest_errors() as exc`` names them without importing requests (about 5 MB) in every
web worker at start: an ``except`` clause's expression is evaluated only when an exception
reaches it, and by then the request was made, so requests is loaded already.
"""

from __future__ import annotations


def rest_errors() -> tuple[type[Exception], ...]:
    """Twilio refused the request, or it did not get through (requests' errors)."""
    from requests import RequestException
    from twilio.base.exceptions import TwilioException

    return (TwilioException, RequestException)
