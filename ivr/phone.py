"""A phone that calls the line the way Twilio does: signed webhooks, following the TwiML.

Used by `flask ivr call` (over HTTP against the running app) and by the tests (through Flask's
test client). It follows <Say>, <Gather>, <Redirect>, <Pause>, <Record>, <Dial> and <Hangup>.
"""

from __future__ import annotations

import secrets
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from twilio.request_validator import RequestValidator

# (url, form params, headers) -> (HTTP status, body)
Transport = Callable[[str, dict[str, str], dict[str, str]], tuple[int, str]]


class PhoneError(Exception):
    """The line answered something a phone cannot follow."""


@dataclass(frozen=True)
class Heard:
    """One thing the caller heard."""

    text: str
    language: str = "en-US"
    voice: str | None = None


@dataclass
class Prompt:
    """The <Gather> the phone is waiting on."""

    action: str
    input: str
    language: str | None
    num_digits: int | None
    rest: list[ET.Element] = field(default_factory=list)
    finish_on_key: str = "#"

    def keyed(self, keys: str) -> str:
        """What Twilio sends as ``Digits`` for these keys: up to the finish key (not sent),
        and no more than ``numDigits`` (the rest are not part of this answer)."""
        if self.finish_on_key and self.finish_on_key in keys:
            keys = keys[:keys.index(self.finish_on_key)]
        return keys[:self.num_digits] if self.num_digits else keys


class Phone:
    """One call: dial(), then press(), speak() or wait() until hung_up."""

    def __init__(self, transport: Transport, base_url: str, auth_token: str,
                 from_: str | None = "+15551234567", to: str = "+15550100000",
                 call_sid: str | None = None, account_sid: str = "AC" + "0" * 32):
        self.transport = transport
        self.base_url = base_url.rstrip("/")
        self.validator = RequestValidator(auth_token)
        self.call_sid = call_sid or "CA" + secrets.token_hex(16)
        self.params = {"CallSid": self.call_sid, "AccountSid": account_sid,
                       "From": from_ or "anonymous", "To": to, "CallStatus": "in-progress",
                       "ApiVersion": "2010-04-01", "Direction": "inbound"}
        self.heard: list[Heard] = []  # what was heard since the last input
        self.transcript: list[Heard] = []  # everything heard in the call
        self.prompt: Prompt | None = None
        self.hung_up = False
        self.dialled: list[str] = []
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.queue: dict[str, str] | None = None  # the <Enqueue> the caller waits in
        self.queue_position = 1
        self.dialing: dict[str, str] | None = None  # a <Dial> waiting for the far end
        self.left_queue: dict[str, str] | None = None  # QueueResult for the <Enqueue> action

    # ---- what a caller does ----------------------------------------------------------------

    def dial(self, path: str = "/voice/incoming") -> Phone:
        self._fetch(path, {})
        return self

    def press(self, digits: str) -> Phone:
        """Key digits at the <Gather>, as Twilio hears them (its numDigits and finishOnKey)."""
        return self._answer({"Digits": self._waiting().keyed(digits)})

    def speak(self, text: str, confidence: float = 0.92) -> Phone:
        return self._answer({"SpeechResult": text, "Confidence": f"{confidence:.2f}"})

    def record(self, seconds: int = 8) -> Phone:
        """Leave a recording at a <Record>: Twilio posts its URL and length to the action."""
        prompt = self._waiting()
        if prompt.input != "record":
            raise PhoneError("the line is not recording")
        return self._answer({"RecordingUrl": "https://api.twilio.com/2010-04-01/Accounts/AC/"
                             f"Recordings/RE{secrets.token_hex(16)}",
                             "RecordingDuration": str(seconds), "Digits": "#"})

    def wait(self) -> Phone:
        """Stay silent until the <Gather> times out: Twilio runs the verbs after it."""
        prompt = self._waiting()
        self.heard = []
        self.prompt = None
        if prompt.input == "hold":
            self._fetch(prompt.action, {})
            return self
        redirect = self._run(prompt.rest)
        if redirect:
            self._fetch(redirect, {})
        return self

    def hang_up(self) -> Phone:
        """Hang up; a caller waiting in a queue makes Twilio call the <Enqueue> action."""
        queue = self.queue
        self.hung_up = True
        self.prompt = None
        if queue and queue.get("action"):
            self.queue = None
            self.post(queue["action"], {**self.params, "QueueResult": "hangup",
                                        "QueueSid": queue["sid"], "QueueTime": "0",
                                        "QueuePosition": str(self.queue_position)})
        return self

    def redirected(self, url: str) -> Phone:
        """Twilio moved this call to url (e.g. a queue member dequeued through the REST API)."""
        self.queue = None
        self.heard = []
        self._fetch(url, {})
        return self

    def dial_ends(self, status: str = "completed", duration: int = 60) -> Phone:
        """The far end of a <Dial> finished: Twilio requests the Dial's action."""
        dialing = self.dialing
        if dialing is None:
            raise PhoneError("no <Dial> is in progress")
        self.dialing = None
        self.heard = []
        self._fetch(dialing["action"], {"DialCallStatus": status,
                                        "DialCallDuration": str(duration),
                                        "DialCallSid": "CA" + secrets.token_hex(16)})
        return self

    @property
    def in_queue(self) -> bool:
        return self.queue is not None

    def status(self, status: str, sequence: int | None = None, duration: int = 0,
               path: str = "/voice/status") -> tuple[int, str]:
        """Send a status callback for this call, as Twilio does."""
        extra = {"CallStatus": status, "CallDuration": str(duration)}
        if sequence is not None:
            extra["SequenceNumber"] = str(sequence)
        return self.post(path, {**self.params, **extra})

    # ---- what the caller heard ---------------------------------------------------------------

    @property
    def text(self) -> str:
        """Everything heard since the last input, as one string."""
        return " ".join(h.text for h in self.heard)

    @property
    def languages(self) -> set[str]:
        """The languages of what was said (the phone's own notes have none)."""
        return {h.language for h in self.heard if h.language}

    # ---- the machinery ---------------------------------------------------------------------

    def _waiting(self) -> Prompt:
        if self.hung_up:
            raise PhoneError("the call has ended")
        if self.prompt is None:
            raise PhoneError("the line is not waiting for input")
        return self.prompt

    def _answer(self, extra: dict[str, str]) -> Phone:
        prompt = self._waiting()
        self.heard = []
        self._fetch(prompt.action, extra)
        return self

    def sign(self, url: str, params: dict[str, str]) -> dict[str, str]:
        return {"X-Twilio-Signature": self.validator.compute_signature(url, params)}

    def post(self, path: str, params: dict[str, str]) -> tuple[int, str]:
        url = path if path.startswith("http") else urljoin(self.base_url + "/", path.lstrip("/"))
        self.requests.append((url, params))
        return self.transport(url, params, self.sign(url, params))

    def _fetch(self, path: str, extra: dict[str, str]) -> None:
        self.prompt = None
        for _ in range(50):  # bound on redirects without input
            if self.queue is not None and path == self.queue["wait_url"]:
                extra = {**extra, "QueueSid": self.queue["sid"],
                         "QueuePosition": str(self.queue_position), "QueueTime": "0",
                         "CurrentQueueSize": str(self.queue_position)}
            if self.left_queue:
                extra, self.left_queue = {**extra, **self.left_queue}, None
            status, body = self.post(path, {**self.params, **extra})
            if status == 403:
                raise PhoneError(self._refused(path, body))
            if status != 200:
                raise PhoneError(f"{path} answered HTTP {status}")
            try:
                root = ET.fromstring(body)
            except ET.ParseError as exc:
                raise PhoneError(f"{path} answered invalid TwiML: {exc}") from None
            if root.tag != "Response":
                raise PhoneError(f"{path} answered <{root.tag}>, not <Response>")
            redirect = self._run(list(root))
            if redirect is None:
                return
            if self.queue is not None and redirect == path == self.queue["wait_url"]:
                # A hold document played through: the caller is on hold until wait().
                self.prompt = Prompt(action=redirect, input="hold", language=None,
                                     num_digits=None)
                return
            path, extra = redirect, {}
        raise PhoneError("too many redirects without input")

    def _refused(self, path: str, body: str) -> str:
        """Why the line refused a request: the signature (PUBLIC_BASE_URL or token differ)."""
        url = path if path.startswith("http") else self.base_url + "/" + path.lstrip("/")
        said = body.strip().splitlines()[0] if body.strip() else ""
        return (f"{path} answered HTTP 403: the line did not accept the signature. This phone "
                f"signed {url} with its TWILIO_AUTH_TOKEN; the line checks the signature "
                "against its own PUBLIC_BASE_URL and token, so both must be the same for the "
                "phone and the server (the same .env; PUBLIC_BASE_URL is where Twilio sends "
                "requests, not necessarily where the server listens)."
                + (f" The line said: {said}" if said and not said.startswith("<") else ""))

    def _run(self, verbs: list[ET.Element]) -> None | str:
        """Play verbs until one waits; returns a URL to fetch next, if any."""
        for i, verb in enumerate(verbs):
            stop, url = self._play(verb, verbs[i + 1:])
            if stop:
                return url
        if self.queue is not None:
            return self.queue["wait_url"]  # the hold document ran out: Twilio fetches it again
        self.hung_up = True  # Twilio ends the call when the document runs out
        return None

    def _play(self, verb: ET.Element, rest: list[ET.Element]) -> tuple[bool, str | None]:
        """Play one verb: (True, URL or None) when the call stops here, else (False, None)."""
        if verb.tag == "Say":
            self._hear(verb)
        elif verb.tag in ("Pause", "Play"):
            pass
        elif verb.tag in ("Gather", "Record"):
            self._wait_for_input(verb, rest)
            return True, None
        elif verb.tag == "Redirect":
            return True, (verb.text or "").strip()
        elif verb.tag == "Dial":
            return self._dial(verb)
        elif verb.tag == "Enqueue":
            self.queue = {"name": (verb.text or "").strip(), "action": verb.get("action")
                          or "", "wait_url": verb.get("waitUrl") or "",
                          "sid": "QU" + secrets.token_hex(16)}
            self._hear_text(f"[waiting in queue {self.queue['name']}]")
            return True, self.queue["wait_url"] or None
        elif verb.tag == "Leave":
            return True, self._leave_queue()
        elif verb.tag in ("Hangup", "Reject"):
            self.hung_up = True
            return True, None
        else:
            raise PhoneError(f"this phone cannot follow <{verb.tag}>")
        return False, None

    def _wait_for_input(self, verb: ET.Element, rest: list[ET.Element]) -> None:
        """A <Gather> (its prompts heard) or a <Record>: the phone waits for the caller."""
        if verb.tag == "Record":
            self.prompt = Prompt(action=verb.get("action") or "", input="record",
                                 language=None, num_digits=None, rest=rest)
            return
        for child in verb:
            if child.tag == "Say":
                self._hear(child)
            elif child.tag == "Play":
                self._hear_text("[music]")
        num = verb.get("numDigits")
        self.prompt = Prompt(action=verb.get("action") or "", input=verb.get("input")
                             or "dtmf", language=verb.get("language"),
                             num_digits=int(num) if num else None, rest=rest,
                             finish_on_key=verb.get("finishOnKey", "#"))

    def _dial(self, verb: ET.Element) -> tuple[bool, str | None]:
        """A <Dial>: the phone notes the number; with an action it waits for the leg to end."""
        number = (verb.text or "").strip() or " ".join((c.text or "").strip() for c in verb)
        self.dialled.append(number)
        self._hear_text(f"[connecting to {number}]")
        if verb.get("action"):
            self.dialing = {"action": verb.get("action") or "", "number": number}
            return True, None
        return False, None

    def _leave_queue(self) -> str:
        """A <Leave>: out of the queue, to the <Enqueue>'s action."""
        queue, self.queue = self.queue, None
        if queue is None:
            raise PhoneError("<Leave> outside a queue")
        self.left_queue = {"QueueResult": "leave", "QueueSid": queue["sid"], "QueueTime": "0"}
        return queue["action"]

    def _hear(self, say: ET.Element) -> None:
        heard = Heard((say.text or "").strip(), say.get("language") or "en-US", say.get("voice"))
        self.heard.append(heard)
        self.transcript.append(heard)

    def _hear_text(self, text: str) -> None:
        """A note of what the phone did (queued, dialled): not said, so in no language."""
        heard = Heard(text, language="")
        self.heard.append(heard)
        self.transcript.append(heard)


def http_transport(timeout: float = 15.0) -> Transport:
    """Post to a running app over HTTP."""
    import requests

    def send(url: str, params: dict[str, str], headers: dict[str, str]) -> tuple[int, str]:
        response = requests.post(url, data=params, headers=headers, timeout=timeout)
        return response.status_code, response.text

    return send


def local_url(public_url: str, server: str) -> str:
    """Send a request meant for the public URL to a local server instead."""
    parts = urlsplit(public_url)
    return server.rstrip("/") + parts.path + (f"?{parts.query}" if parts.query else "")
