"""Voicemails and recorded comments an analyst can hear: the ticket page lists each with its
length and who left it, and plays it through the console, which fetches the media from Twilio
with the account's credentials (the page never holds them nor Twilio's URL); only a login that
may open the ticket gets it. The ticket list filters the tickets with a voicemail. Twilio's
recording media URL is mocked with `responses`."""

from __future__ import annotations

import base64
import re

import pytest
import responses
from sqlalchemy import select

from tickets import intake, timeline
from tickets.models import Ticket, TicketEvent

from ..conftest import AUTH_TOKEN

RECORDING = "RE" + "3f" * 16
COMMENT = "RE" + "a1" * 16
MP3 = b"\xff\xfb\x90\xc4" + bytes(413)  # one frame of MPEG audio


@pytest.fixture
def twilio_media(app):
    """Twilio's recording media: MP3 to the account's credentials only."""
    sid = app.config["TWILIO_ACCOUNT_SID"]
    media = re.compile(rf"https://api\.twilio\.com/2010-04-01/Accounts/{sid}/Recordings/"
                       r"(RE\w{32})\.mp3")
    expected = "Basic " + base64.b64encode(f"{sid}:{AUTH_TOKEN}".encode()).decode()

    class Media:
        def __init__(self):
            self.asked: list[str] = []
            self.status = 200

        def answer(self, request):
            self.asked.append(media.match(request.url).group(1))
            if request.headers.get("Authorization") != expected:
                return 401, {}, '{"code": 20003, "message": "Authenticate", "status": 401}'
            if self.status != 200:
                return self.status, {}, '{"code": 20404, "message": "Not found"}'
            if request.headers.get("Range") == "bytes=0-3":
                return 206, {"Content-Type": "audio/mpeg", "Content-Range":
                             f"bytes 0-3/{len(MP3)}", "Accept-Ranges": "bytes"}, MP3[:4]
            return 200, {"Content-Type": "audio/mpeg", "Accept-Ranges": "bytes"}, MP3

    served = Media()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add_callback(responses.GET, media, callback=served.answer)
        yield served


@pytest.fixture
def voicemail(call, db):
    """A caller leaves a 42-second voicemail from the line's fallback: a ticket of its own."""
    caller = call(from_="+12025550147")
    caller.post("/voice/fallback/voicemail", {
        **caller.params, "RecordingUrl": "https://api.twilio.com/2010-04-01/Accounts/"
        f"{caller.params['AccountSid']}/Recordings/{RECORDING}", "RecordingDuration": "42"})
    return db.scalar(select(Ticket).order_by(Ticket.id.desc()))


def recording_url(page: str) -> str:
    [src] = re.findall(r'<audio[^>]* src="([^"]+)"', page)
    return src


def test_an_analyst_hears_a_voicemail_with_its_length_and_caller(
        app, db, users, voicemail, as_ann, twilio_media):
    page = as_ann.get(f"/console/tickets/{voicemail.number}").get_data(as_text=True)
    row = re.search(r'<tr class="recording".*?</tr>', page, re.S).group(0)
    assert "Voicemail" in row and "0:42" in row and "+12025550147" in row
    src = recording_url(page)
    assert src.startswith(f"/console/tickets/{voicemail.number}/recordings/")
    for secret in ("api.twilio.com", RECORDING, AUTH_TOKEN, app.config["TWILIO_ACCOUNT_SID"]):
        assert secret not in page

    played = as_ann.get(src)
    assert played.status_code == 200 and played.data == MP3
    assert played.mimetype == "audio/mpeg"
    assert played.headers["Cache-Control"] == "private, no-store"
    assert twilio_media.asked == [RECORDING]  # with the account's credentials, or a 401

    part = as_ann.get(src, headers={"Range": "bytes=0-3"})  # a player seeking
    assert part.status_code == 206 and part.data == MP3[:4]
    assert part.headers["Content-Range"] == f"bytes 0-3/{len(MP3)}"


def test_a_recorded_comment_plays_too_and_says_who_left_it(db, users, as_ann, twilio_media):
    ticket, _pin = intake.open_ticket(db, fields={"name": "Jane Doe", "problem": "printer",
                                                  "callback_number": "+12025550148"},
                                      priority="regular_service", language="en-US")
    timeline.record_event(db, "recording", "Survey comment recorded (17 s)",
                          ticket_id=ticket.id, data={"recording_url": "https://api.twilio.com"
                                                     f"/2010-04-01/Accounts/AC/Recordings/"
                                                     f"{COMMENT}", "seconds": 17})
    db.commit()
    page = as_ann.get(f"/console/tickets/{ticket.number}").get_data(as_text=True)
    assert "Recorded comment" in page and "0:17" in page
    assert "Jane Doe (+12025550148)" in page
    assert as_ann.get(recording_url(page)).data == MP3
    assert twilio_media.asked == [COMMENT]


def test_only_a_login_that_may_open_the_ticket_gets_the_recording(
        client, console, db, users, voicemail, twilio_media):
    event = db.scalar(select(TicketEvent).where(TicketEvent.kind == "voicemail"))
    path = f"/console/tickets/{voicemail.number}/recordings/{event.id}"
    assert client.get(path).status_code == 302  # to the login
    assert console.login("tess").status_code == 302  # tier 2; the voicemail is tier 1's
    assert console.get(path).status_code == 403
    console.client.get("/logout")
    assert console.login("lead").status_code == 302
    assert console.get(path).status_code == 200
    opened = db.scalar(select(TicketEvent).where(TicketEvent.ticket_id == voicemail.id,
                                                 TicketEvent.kind != "voicemail"))
    assert console.get(f"/console/tickets/{voicemail.number}/recordings/{opened.id}"
                       ).status_code == 404  # not a recording
    assert len(twilio_media.asked) == 1


def test_a_recording_twilio_no_longer_has_is_said_so(db, users, voicemail, as_ann,
                                                      twilio_media):
    src = recording_url(as_ann.get(f"/console/tickets/{voicemail.number}")
                        .get_data(as_text=True))
    twilio_media.status = 404
    gone = as_ann.get(src)
    assert gone.status_code == 404 and b"no longer has this recording" in gone.data
    twilio_media.status = 500
    assert as_ann.get(src).status_code == 502


def test_the_ticket_list_shows_only_tickets_with_a_voicemail_when_asked(
        db, users, voicemail, as_ann):
    other, _pin = intake.open_ticket(db, fields={"problem": "no voicemail here"},
                                     priority="regular_service")
    db.commit()
    everything = as_ann.get("/console/tickets").get_data(as_text=True)
    assert voicemail.number in everything and other.number in everything
    filtered = as_ann.get("/console/tickets?voicemail=1").get_data(as_text=True)
    assert voicemail.number in filtered and other.number not in filtered
    assert 'name="voicemail" value="1" checked' in filtered
