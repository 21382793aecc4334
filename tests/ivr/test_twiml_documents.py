"""The TwiML documents of a turn are kept and shared (issue 13): what Twilio is asked to do must
stay each call's own (its step URL, its language, where its hand-off goes)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from twilio.request_validator import RequestValidator

from call_scripts import Gather, Hangup, Log, Queue, Say
from ivr.voice import twiml

from ..conftest import AUTH_TOKEN, PUBLIC_BASE_URL
from .test_webhooks import PARAMS, signed_post

HELLO = Say("Hello.", "en-US", "Polly.Joanna")
CIAO = Say("Buongiorno.", "it-IT", "Polly.Bianca")
MENU = Gather(prompts=(Say("Press 1 or 2.", "en-US", "Polly.Joanna"),), input="dtmf",
              language="en-US", timeout=5, num_digits=1)


def _urls(document: str) -> list[str]:
    root = ET.fromstring(document)
    return [el.get("action") or (el.text or "").strip() for el in root.iter()
            if el.tag in ("Gather", "Redirect")]


def test_the_same_prompt_at_another_turn_posts_to_that_turns_url():
    first = twiml.render([HELLO, MENU], "/voice/step?t=2")
    later = twiml.render([HELLO, MENU], "/voice/step?t=5")
    again = twiml.render([HELLO, MENU], "/voice/step?t=2")
    assert set(_urls(first)) == {"/voice/step?t=2"}
    assert set(_urls(later)) == {"/voice/step?t=5"}
    assert again == first


def test_log_lines_and_effects_change_nothing_said_and_words_in_another_language_do():
    logged = Log(kind="answer", text="pressed 1", step="menu", data={"key": "1"})
    plain = twiml.render([HELLO, MENU], "/voice/step?t=3")
    assert twiml.render([logged, HELLO, logged, MENU], "/voice/step?t=3") == plain
    italian = twiml.render([CIAO, MENU], "/voice/step?t=3")
    assert "Buongiorno." in italian and 'language="it-IT"' in italian
    assert "Hello." not in italian


def test_a_hand_off_goes_where_the_line_says_whatever_the_callers_fields():
    one = twiml.render([HELLO, Queue(fields={"ticket": {"number": "1"}})], "/voice/step?t=4",
                       "/voice/queue/arrive")
    other = twiml.render([HELLO, Queue(fields={"ticket": {"number": "2"}})], "/voice/step?t=4",
                         "/voice/queue/arrive")
    outbound = twiml.render([HELLO, Queue(fields={})], "/voice/step?t=4",
                            "/voice/outbound/connect")
    assert one == other and _urls(one) == ["/voice/queue/arrive"]
    assert _urls(outbound) == ["/voice/outbound/connect"]
    assert "<Hangup" in twiml.render([HELLO, Hangup()], "/voice/step?t=4")


def test_a_line_mounted_under_a_path_is_asked_back_there_and_one_at_the_root_at_the_root(client):
    mounted = signed_post_under(client, "/line", "/voice/incoming", PARAMS)
    assert mounted.status_code == 200
    urls = _urls(mounted.get_data(as_text=True))
    assert urls and all(url.startswith("/line/voice/step?t=") for url in urls)
    root = signed_post(client, "/voice/incoming", {**PARAMS, "CallSid": "CA" + "2" * 32})
    urls = _urls(root.get_data(as_text=True))
    assert urls and all(url.startswith("/voice/step?t=") for url in urls)


def signed_post_under(client, script_root: str, path: str, params: dict[str, str]):
    """A request Twilio signed for the public URL, reaching an app mounted under script_root
    (SCRIPT_NAME, as a proxy mounting it there passes it)."""
    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_BASE_URL + path, params)
    return client.post(path, data=params, headers={"X-Twilio-Signature": signature},
                       base_url=f"http://localhost{script_root}")
