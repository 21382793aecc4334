"""SMS to callers, as they read them: after intake, when a callback is booked or missed, when a
ticket is resolved; in their language, times in their zone; to mobiles only, never after STOP;
Twilio's status callbacks kept. Twilio's Messages API is mocked with `responses`; every webhook
Twilio makes is signed with its RequestValidator."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from call_scripts import ScriptError
from call_scripts.sms import SHIPPED, parse_sms
from tickets import bookings, workflow
from tickets.models import Customer, CustomerPhone, Ticket, TicketEvent
from tickets.outbox import OutboxMessage

from ..conftest import AUTH_TOKEN, PUBLIC_BASE_URL
from ..ivr.test_intake import LANGUAGES, report_problem, tell_problem, ticket_number_heard

LINE = "+15550100000"

EXPECTED = {
    "en-US": "The IT Help Desk: we have opened ticket {n} (priority: enterprise failure; an "
             "analyst will respond by today at 5:15 AM). To check on it, "
             "call +1 555-010-0000 and enter the ticket number; you'll also need the PIN we "
             "gave you on the call.",
    "it-IT": "L'Help Desk IT: abbiamo aperto il ticket {n} (priorità: fallimento aziendale; "
             "un analista le risponderà entro oggi alle ore 05:15). Per sapere a che "
             "punto siamo, chiami il +1 555-010-0000 e digiti il numero del ticket; le servirà "
             "anche il PIN che le abbiamo dato durante la chiamata.",
    "ms-MY": "Meja Bantuan IT: kami telah membuka tiket {n} (keutamaan: kegagalan perusahaan; "
             "penganalisis akan membalas sebelum hari ini pada 5:15 PG). Untuk menyemak "
             "status, hubungi +1 555-010-0000 dan masukkan nombor tiket; anda juga memerlukan "
             "PIN yang diberikan semasa panggilan tadi.",
}


def post_signed(client, path: str, params: dict):
    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_BASE_URL + path, params)
    return client.post(path, data=params, headers={"X-Twilio-Signature": signature})


def full_intake(call, key: str, from_: str = "+12025550147") -> str:
    caller = tell_problem(call(from_=from_).press(key))  # the language, then the problem
    caller.speak("Jane Doe").speak("Finance").speak("Building B, room 12")
    caller.press("1")  # keep caller ID as the callback number
    caller.press("40001")
    report_problem(caller)
    number = ticket_number_heard(caller)
    caller.press("2")  # no other problem: on to the queue
    return number


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_an_sms_after_a_full_intake_in_the_callers_language(call, db, demo, clock, sms_on,
                                                            texts, deliver, language):
    number = full_intake(call, LANGUAGES[language][0])
    assert texts.sent == []  # nothing leaves during the call
    deliver()
    [sms] = texts.sent
    assert sms["to"] == "+12025550147" and sms["form"]["From"] == LINE
    assert sms["body"] == EXPECTED[language].format(n=number)
    assert "PIN" in sms["body"] and not any(ch.isdigit() for ch in
                                            sms["body"].split("PIN")[1])  # never the PIN
    assert sms["form"]["StatusCallback"].startswith(f"{PUBLIC_BASE_URL}/voice/sms/status?m=")
    deliver()
    assert len(texts.sent) == 1  # once, though the call goes on to hang up


def test_two_tickets_from_a_number_on_file_in_one_text_without_a_pin(call, db, demo, clock,
                                                                     sms_on, texts, deliver):
    alice = db.scalar(select(Customer).where(Customer.account_number == "40001"))
    alice.phones.append(CustomerPhone(number="+12025550123"))  # her mobile
    db.commit()
    caller = call(from_="+12025550123")  # Alice, from her number on file
    report_problem(caller, service="1", impact="1", urgency="2", planned="2")
    first = ticket_number_heard(caller)
    caller.press("1")
    report_problem(caller, service="2", impact="2", urgency="3", planned="2",
                   problem="Outlook will not start", before="I installed an update")
    second = ticket_number_heard(caller)
    caller.press("2").wait()
    deliver()
    [sms] = texts.sent
    assert sms["to"] == "+12025550123"
    assert f"ticket {first} (priority: regular scheduled service" in sms["body"]
    assert f"and ticket {second} (priority: critical situation" in sms["body"]
    assert sms["body"].endswith("from this phone you won't need a PIN.")


def test_callback_booked_missed_and_ticket_resolved_texts(db, ticket, clock, sms_on, texts,
                                                          deliver):
    t = db.get(Ticket, ticket.id)
    t.language = "it-IT"
    callback = bookings.schedule_callback(db, ticket_id=t.id, number="+393471234567",
                                          language="it-IT", due=clock() + timedelta(hours=5))
    bookings.placed(db, callback, "CA" + "2" * 32, 1, clock())
    bookings.call_ended(db, callback, "no-answer", reached=False, now=clock())
    workflow.resolve_ticket(db, t, actor="ana", now=clock())
    db.commit()
    deliver()
    by_number = [(m["to"], m["body"]) for m in texts.sent]
    assert by_number[0] == ("+393471234567", f"L'Help Desk IT: la richiameremo per il ticket "
                            f"{t.number} oggi alle ore 16:00.")  # Rome's 15:00 UTC
    assert by_number[1] == ("+393471234567", f"L'Help Desk IT: abbiamo provato a chiamarla "
                            f"oggi alle ore 11:00 per il ticket {t.number}, senza "
                            "riuscirci. Riproveremo oggi alle ore 11:10.")
    assert by_number[2] == ("+12025550147", f"L'Help Desk IT: il ticket {t.number} è stato "
                            "risolto. La chiameremo a breve per verificare che sia tutto a "
                            "posto e chiederle com'è andata.")


def test_no_text_to_a_landline(db, ticket, clock, sms_on, texts, deliver):
    t = db.get(Ticket, ticket.id)
    bookings.schedule_callback(db, ticket_id=t.id, number="+390612345678",  # a Rome landline
                               language="it-IT", due=clock())
    db.commit()
    deliver()
    assert texts.sent == []
    [skipped] = db.scalars(select(OutboxMessage).where(OutboxMessage.channel == "sms")).all()
    assert (skipped.status, skipped.last_error) == ("skipped", "not a mobile number")


def test_stop_opts_out_and_no_text_goes_after_it(client, db, ticket, clock, sms_on, texts,
                                                 deliver):
    t = db.get(Ticket, ticket.id)
    bookings.schedule_callback(db, ticket_id=t.id, number="+12025550147", language="en-US",
                               due=clock())
    db.commit()
    stop = {"MessageSid": "SM" + "9" * 32, "From": "+12025550147", "To": LINE, "Body": "Stop",
            "AccountSid": "AC" + "0" * 32, "OptOutType": "STOP"}
    assert post_signed(client, "/voice/sms/incoming", stop).status_code == 200
    assert post_signed(client, "/voice/sms/incoming", stop).status_code == 200  # a repeat
    deliver()
    workflow.resolve_ticket(db, db.get(Ticket, ticket.id), actor="ana", now=clock())
    db.commit()
    deliver()
    assert texts.sent == []  # neither the callback's text nor the resolution's
    start = {**stop, "Body": "START", "OptOutType": "START"}
    post_signed(client, "/voice/sms/incoming", start)
    bookings.schedule_callback(db, ticket_id=t.id, number="+12025550147", language="en-US",
                               due=clock())
    db.commit()
    deliver()
    assert len(texts.sent) == 1


def test_help_is_answered_in_the_senders_language_and_unsigned_texts_refused(
        client, db, ticket, clock, sms_on):
    db.get(Ticket, ticket.id).language = "ms-MY"
    db.commit()
    help_ = {"MessageSid": "SM" + "8" * 32, "From": "+12025550147", "To": LINE,
             "Body": "help"}
    answer = post_signed(client, "/voice/sms/incoming", help_).get_data(as_text=True)
    assert "<Message>Meja Bantuan IT: mesej tentang tiket meja bantuan anda. Untuk bantuan " \
           "hubungi +1 555-010-0000. Balas STOP untuk berhenti menerima mesej.</Message>" in answer
    forged = client.post("/voice/sms/incoming", data={**help_, "Body": "STOP"},
                         headers={"X-Twilio-Signature": "forged"})
    assert forged.status_code == 403


def test_each_texts_status_callback_is_kept_and_a_failure_shown(client, db, ticket, clock,
                                                                sms_on, texts, deliver):
    workflow.resolve_ticket(db, db.get(Ticket, ticket.id), actor="ana", now=clock())
    db.commit()
    deliver()
    [sent] = texts.sent
    [message] = db.scalars(select(OutboxMessage).where(OutboxMessage.channel == "sms")).all()
    assert message.external_id == sent["sid"]
    path = f"/voice/sms/status?m={message.id}"
    for status in ("sent", "undelivered", "queued"):  # the late "queued" changes nothing
        post_signed(client, path, {"MessageSid": sent["sid"], "MessageStatus": status,
                                   "ErrorCode": "30003" if status == "undelivered" else "",
                                   "To": sent["to"], "From": LINE})
    db.refresh(message)
    assert message.provider_status == "undelivered"
    events = db.scalars(select(TicketEvent.text).where(TicketEvent.ticket_id == ticket.id,
                                                       TicketEvent.kind == "outbox_failed"))
    assert list(events) == ["SMS (ticket.resolved) was undelivered (error 30003)"]


def test_twilio_down_is_retried_and_a_refusal_is_not(db, ticket, clock, sms_on, texts, deliver):
    texts.error = (503, {"code": 20500, "message": "Internal Server Error", "status": 503,
                         "more_info": "https://www.twilio.com/docs/errors/20500"})
    workflow.resolve_ticket(db, db.get(Ticket, ticket.id), actor="ana", now=clock())
    db.commit()
    deliver()
    [message] = db.scalars(select(OutboxMessage).where(OutboxMessage.channel == "sms")).all()
    assert message.status == "pending" and message.attempts == 1
    texts.error = None
    clock.advance(30)
    deliver()
    db.refresh(message)
    assert message.status == "delivered" and len(texts.sent) == 1


def test_shipped_texts_pass_the_check_and_a_broken_one_is_named(app):
    result = app.test_cli_runner().invoke(args=["ivr", "scripts", "check", str(SHIPPED)])
    assert result.exit_code == 0 and "sms.yaml: ok" in result.output
    broken = SHIPPED.read_text(encoding="utf-8").replace(
        "we have opened {tickets}", "we have opened {ticket}").replace(
        '    ms-MY: "{helpdesk}: tiket {ticket} telah diselesaikan. Jika', '    xx: "')
    with pytest.raises(ScriptError) as refused:
        parse_sms(broken, "sms.yaml")
    problems = [str(p) for p in refused.value.problems]
    assert any("message 'intake' (en-US): unknown placeholder {ticket}" in p for p in problems)
    assert any("message 'intake' (en-US) must say {tickets}" in p for p in problems)
    assert any("message 'ticket_resolved_no_call' has no ms-MY text" in p for p in problems)
    assert all(p.startswith("sms.yaml:") for p in problems)


def claimed_by_a_deliverer_that_dies(app, db, ticket, clock):
    """The ticket resolved; a deliverer claims its text (then dies, leaving it claimed)."""
    from ivr import scheduler

    workflow.resolve_ticket(db, db.get(Ticket, ticket.id), actor="ana", now=clock())
    db.commit()
    dead = scheduler.make_deliverer(app, owner="dead", concurrency=1)
    with app.extensions["sessionmaker"]() as session:
        dead.fan_out_events(session, clock())
        parcels, _ = dead.claim(session, clock())
        session.commit()
    [parcel] = [p for p in parcels if p.channel == "sms"]
    return dead, parcel


def test_a_text_a_dead_deliverer_sent_is_found_not_sent_twice(app, db, ticket, clock, sms_on,
                                                              texts, deliver):
    dead, parcel = claimed_by_a_deliverer_that_dies(app, db, ticket, clock)
    dead.send(parcel)  # Twilio took it; the deliverer died before recording it
    clock.advance(121)  # its lease runs out
    deliver(owner="other")
    assert len(texts.sent) == 1  # found at Twilio, not sent again
    message = db.get(OutboxMessage, parcel.id, populate_existing=True)
    assert message.status == "delivered" and message.external_id == texts.sent[0]["sid"]


def test_a_time_is_written_with_its_day_as_the_voice_line_says_it(db, ticket, clock, sms_on,
                                                                 texts, deliver):
    tomorrow = bookings.schedule_callback(db, ticket_id=ticket.id, number="+12025550147",
                                          language="en-US", due=clock() + timedelta(days=1))
    later = bookings.schedule_callback(db, ticket_id=ticket.id, number="+12025550147",
                                       language="en-US", due=clock() + timedelta(days=3))
    assert tomorrow and later
    db.commit()
    deliver()
    assert texts.bodies() == [  # New York's time (the number's): 10:00 UTC is 5:00 AM there
        f"The IT Help Desk: we'll call you back about ticket {ticket.number} tomorrow at "
        "5:00 AM.",
        f"The IT Help Desk: we'll call you back about ticket {ticket.number} Thursday, "
        "November 26 at 5:00 AM."]


def test_an_older_text_alike_is_not_taken_for_the_lost_one(app, db, ticket, clock, sms_on,
                                                           texts, deliver):
    from email.utils import format_datetime

    dead, parcel = claimed_by_a_deliverer_that_dies(app, db, ticket, clock)
    # The same words went to the number two days ago (another ticket's text); this one
    # never reached Twilio before its deliverer died.
    texts.sent.append({"sid": "SM" + "e" * 32, "to": parcel.payload["to"],
                       "body": parcel.payload["body"], "status": "delivered",
                       "date_created": format_datetime(clock() - timedelta(days=2)),
                       "date_sent": format_datetime(clock() - timedelta(days=2))})
    clock.advance(121)
    deliver(owner="other")
    assert len(texts.sent) == 2  # sent now: the old one is not this one
    message = db.get(OutboxMessage, parcel.id, populate_existing=True)
    assert message.status == "delivered" and message.external_id == texts.sent[1]["sid"]


def test_texts_log_no_number_nor_words(db, ticket, clock, sms_on, texts, deliver, records):
    texts.error = (400, {"code": 21211, "status": 400, "more_info": "https://www.twilio.com/"
                         "docs/errors/21211",
                         "message": "The 'To' number +12025550147 is not a valid phone number."})
    workflow.resolve_ticket(db, db.get(Ticket, ticket.id), actor="ana", now=clock())
    db.commit()
    deliver()
    [message] = db.scalars(select(OutboxMessage).where(OutboxMessage.channel == "sms")).all()
    assert message.status == "failed" and "21211" in message.last_error
    assert "2025550147" not in message.last_error  # nor on the timeline
    said = "\n".join(line for _n, _l, line in records)
    assert "outbox message" in said and "failed" in said
    assert "2025550147" not in said.replace("-", "").replace(" ", "")


def test_a_callback_asked_in_line_is_texted_as_soon_as_an_analyst_is_free(db, ticket, clock,
                                                                         sms_on, texts, deliver):
    from ivr.queues import callbacks

    t = db.get(Ticket, ticket.id)
    callbacks.callback_asked(db, t, None, clock(), actor="Ann Analyst")
    db.commit()
    deliver()
    assert texts.bodies() == [
        f"The IT Help Desk: we'll call you back about ticket {t.number} as soon as an analyst "
        "is free. You keep your place in line."]
