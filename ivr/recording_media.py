"""A recording's media from Twilio, fetched by this service with the account's credentials
(HTTP Basic: Account SID and Auth Token) so that no browser ever holds them: the console
streams it on to a logged-in analyst. The URL is built from the account's own SID and the
Recording SID, never taken as given, so the credentials only ever go to Twilio (or the
configured stand-in, ``TWILIO_API_URL``). No Flask: the configuration is passed in."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import requests

TWILIO_API = "https://api.twilio.com"
FORMAT = ".mp3"  # Twilio serves a recording as MP3 (or WAV) by the extension asked for
CONTENT_TYPE = "audio/mpeg"
CHUNK = 64 * 1024
TIMEOUT = (5, 30)  # s: to connect, between bytes
PASSED_ON = ("Content-Length", "Content-Range", "Accept-Ranges")


class RecordingUnavailable(Exception):
    """Twilio did not give the recording (``status``: 404 gone, 502 Twilio failed)."""

    def __init__(self, status: int, why: str):
        super().__init__(why)
        self.status = status


@dataclass
class Media:
    """The recording's bytes as Twilio streams them, and what to say of them."""

    status: int  # 200, or 206 for a range
    headers: dict[str, str]
    chunks: Iterator[bytes]
    response: requests.Response

    def close(self) -> None:
        self.response.close()


def media_url(cfg: Mapping[str, Any], sid: str) -> str:
    base = (cfg.get("TWILIO_API_URL") or TWILIO_API).rstrip("/")
    return f"{base}/2010-04-01/Accounts/{cfg['TWILIO_ACCOUNT_SID']}/Recordings/{sid}{FORMAT}"


def fetch(cfg: Mapping[str, Any], sid: str, byte_range: str | None = None) -> Media:
    """Start streaming the recording (a ``Range`` passed on, so a player can seek)."""
    import requests  # here, not in every web worker: only an analyst's player asks for it

    headers = {"Range": byte_range} if byte_range else {}
    try:
        response = requests.get(media_url(cfg, sid), headers=headers, stream=True,
                                timeout=TIMEOUT,
                                auth=(cfg["TWILIO_ACCOUNT_SID"], cfg["TWILIO_AUTH_TOKEN"]))
    except requests.RequestException as exc:
        raise RecordingUnavailable(502, f"Twilio could not be reached "
                                        f"({exc.__class__.__name__})") from None
    if response.status_code not in (200, 206):
        response.close()
        if response.status_code == 404:
            raise RecordingUnavailable(404, "Twilio no longer has this recording")
        raise RecordingUnavailable(502, f"Twilio answered {response.status_code}")
    kind = response.headers.get("Content-Type", "")
    passed = {name: response.headers[name] for name in PASSED_ON if name in response.headers}
    passed["Content-Type"] = kind if kind.startswith("audio/") else CONTENT_TYPE
    return Media(response.status_code, passed, response.iter_content(CHUNK), response)
