"""An analyst plays a caller's voicemail on the ticket page, in a real browser: the audio comes
through the console (Twilio's recording media mocked with `responses`, fetched server-side with
the account's credentials); the page holds neither Twilio's URL nor the credentials."""

from __future__ import annotations

import re

import responses
from playwright.sync_api import expect
from sqlalchemy import select

from tickets.models import Ticket

from ..conftest import AUTH_TOKEN
from .conftest import login

RECORDING = "RE" + "5c" * 16
FRAME = b"\xff\xfb\x90\xc4" + bytes(413)  # 128 kbit/s, 44.1 kHz, mono: 1152 samples of silence
MP3 = FRAME * 40  # about 1.04 s


def test_an_analyst_plays_a_voicemail(page, app, users, call, db):
    caller = call(from_="+12025550147")
    caller.post("/voice/fallback/voicemail", {
        **caller.params, "RecordingUrl": "https://api.twilio.com/2010-04-01/Accounts/"
        f"{caller.params['AccountSid']}/Recordings/{RECORDING}", "RecordingDuration": "42"})
    ticket = db.scalar(select(Ticket).order_by(Ticket.id.desc()))
    media = re.compile(rf"https://api\.twilio\.com/2010-04-01/Accounts/"
                       rf"{app.config['TWILIO_ACCOUNT_SID']}/Recordings/{RECORDING}\.mp3")
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.add(responses.GET, media, body=MP3, content_type="audio/mpeg")
        login(page, "ann")
        page.goto("/console/tickets?voicemail=1")
        page.click(f"#results a:has-text('{ticket.number}')")
        row = page.locator("#recordings tr.recording")
        expect(row).to_contain_text("Voicemail")
        expect(row.locator(".length")).to_have_text("0:42")
        expect(row.locator(".left-by")).to_have_text("+12025550147")
        duration = row.locator("audio").evaluate("""audio => new Promise((done, failed) => {
            audio.addEventListener('loadedmetadata', () => done(audio.duration));
            audio.addEventListener('error', () => failed(String(audio.error && audio.error.code)));
            audio.load();
        })""")
        assert 0.9 < duration < 1.2
    html = page.content()
    for secret in ("api.twilio.com", RECORDING, AUTH_TOKEN):
        assert secret not in html
