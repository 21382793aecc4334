"""How long a caller listens before hearing their ticket number (issue 18), and whether every
field the SOP needs reaches the ticket.

Scripted callers (bench/callers.py: they answer by what each prompt asks) ring the shipped
intake in process: signed requests, as Twilio signs them, to `ivr.create_app`'s Flask test
client, with the app's clock stopped on a weekday inside opening hours. New callers (English,
Italian, Malay; choices by keypad or by speech; one with the number withheld) and known callers
(the demo customers, caller ID on file). Each reports one problem.

For each caller it prints the words the line spoke up to and including the ticket number, the
answers given by then, the estimated time to the ticket number (the line's words at 150 words
a minute, plus 3 s per answer) and the SOP fields found on the ticket: name, department,
location, callback number, account (or unknown by the caller's choice), type of service,
equipment / asset tag / licence, configuration (where asked), the problem in their words, and
what they were doing when it started, and impact and urgency giving the priority (the
intake script's matrix).

    python bench/call_length.py [--transcript] [--database-url URL]

The last line printed is `worst new: N s, worst known: N s`.
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "bench"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from call_length_personas import personas  # noqa: E402
from callers import LABEL, Answer, Ear, Persona, Problem, ScriptedCall, spoken_digits  # noqa: E402
from step_cost import AUTH_TOKEN, PUBLIC_BASE_URL, bench_database, build_app  # noqa: E402

# ---- the app's internals this benchmark uses (keep them here) -------------------------------
from ivr.phone import Phone  # noqa: E402  the signed phone of the tests and `flask ivr call`
from tickets.models import Call, Customer, CustomerPhone, Ticket  # noqa: E402

# ---------------------------------------------------------------------------------------------

INTAKE_YAML = ROOT / "call_scripts" / "scripts" / "intake.yaml"
OPEN_WEEKDAY = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # a Monday, 10:00: the desk is open
WORDS_PER_MINUTE = 150
SECONDS_PER_ANSWER = 3
MAX_ANSWERS = 80

# ---- one call -------------------------------------------------------------------------------

@dataclass
class Result:
    persona: Persona
    words: int  # said by the line up to and including the ticket number
    answers: list[Answer]
    ticket: Ticket | None
    fields: list[tuple[str, str]]  # (SOP field, "ok" | "n/a" | what is wrong)
    spoken: str  # what the line said up to the ticket number
    stuck: str | None = None

    @property
    def seconds(self) -> float:
        return self.words * 60 / WORDS_PER_MINUTE + SECONDS_PER_ANSWER * len(self.answers)


def words_until(transcript: list, number: str) -> tuple[int, str] | None:
    """Words the line said up to and including the first time it says `number`."""
    pattern = spoken_digits(number)
    said: list[str] = []
    for heard in transcript:
        text = heard.text
        if text.startswith("["):  # the phone's own notes ([waiting in queue ...])
            continue
        match = pattern.search(text)
        if match:
            said.append(text[:match.end()])
            whole = " ".join(said)
            return len(whole.split()), whole
        said.append(text)
    return None


def tickets_of(session: Session, sid: str) -> list[Ticket]:
    call = session.scalar(select(Call).where(Call.sid == sid))
    if call is None:
        return []
    return list(session.scalars(select(Ticket).where(Ticket.call_id == call.id)
                                .order_by(Ticket.id)))


def run_call(app, persona: Persona) -> Result:
    client = app.test_client()
    # Reads autocommit: a read transaction would hold SQLite's write lock (BEGIN IMMEDIATE).
    engine = app.extensions["engine"].execution_options(isolation_level="AUTOCOMMIT")

    def transport(url: str, params: dict[str, str], headers: dict[str, str]) -> tuple[int, str]:
        response = client.post(url[len(PUBLIC_BASE_URL):], data=params, headers=headers)
        return response.status_code, response.get_data(as_text=True)

    ear = Ear(transport)
    phone = Phone(ear, PUBLIC_BASE_URL, AUTH_TOKEN, from_=persona.caller_id)
    caller = ScriptedCall(phone, persona, ear)
    phone.dial()
    found: tuple[int, str] | None = None
    ticket: Ticket | None = None
    answers: list[Answer] = []
    with Session(engine, expire_on_commit=False) as session:
        while len(caller.answers) < MAX_ANSWERS:
            session.expire_all()
            opened = tickets_of(session, phone.call_sid)
            if opened:
                found = words_until(phone.transcript, opened[0].number or "")
                if found:
                    ticket = opened[0]
                    answers = list(caller.answers)
                    break
            if caller.answer() is None:
                break
        if not phone.hung_up:
            phone.hang_up()
        phone.status("completed", duration=int(Result(persona, found[0] if found else 0,
                                                      answers, None, [], "").seconds))
        customer = None
        if persona.known and persona.caller_id:
            customer = session.scalar(select(Customer).join(CustomerPhone).where(
                CustomerPhone.number == persona.caller_id))
        asked = {a.intent for a in answers}
        fields = sop_fields(persona, ticket, customer, asked) if ticket else []
    if found is None:
        return Result(persona, 0, list(caller.answers), None, [],
                      " ".join(h.text for h in phone.transcript),
                      stuck=caller.stuck or "no ticket number was said")
    return Result(persona, found[0], answers, ticket, fields, found[1], stuck=None)


# ---- the SOP's fields -----------------------------------------------------------------------

def expected_priority(problem: Problem) -> str:
    priority = yaml.safe_load(INTAKE_YAML.read_text(encoding="utf-8"))["priority"]
    if problem.planned:
        return priority["planned_label"]
    return priority["matrix"][problem.impact][problem.urgency]


def e164(persona: Persona) -> str | None:
    """The number the ticket should call back: on file, the caller ID, or the one keyed."""
    if persona.called_back_on:
        return persona.called_back_on
    if persona.caller_id:
        return persona.caller_id
    return "+1" + persona.callback if persona.callback else None


def sop_fields(persona: Persona, ticket: Ticket, customer: Customer | None,
               asked: set[str]) -> list[tuple[str, str]]:
    problem = persona.problems[0]
    out: list[tuple[str, str]] = []

    def check(name: str, got: object, want: object) -> None:
        if got is None or got == "":
            out.append((name, "missing"))
        elif want is not None and str(got).strip().lower() != str(want).strip().lower():
            out.append((name, f"{got!r}, expected {want!r}"))
        else:
            out.append((name, "ok"))

    source = customer if customer is not None else persona
    check("name", ticket.caller_name, source.name)
    check("department", ticket.department, source.department)
    check("location", ticket.location, source.location)
    check("callback number", ticket.callback_number, e164(persona))
    if customer is not None:
        check("account", ticket.account_number, customer.account_number)
    elif persona.account is None:
        out.append(("account", "ok (unknown: caller's choice)" if not ticket.account_number
                    else f"{ticket.account_number!r}, expected none"))
    else:
        check("account", ticket.account_number, persona.account)
    check("type of service", ticket.category, problem.category)
    if problem.category == "software":
        check("licence", ticket.licence_number, problem.licence)
    elif problem.category in ("hardware", "network"):
        given = {v.lower() for v in (problem.equipment, problem.asset_tag) if v}
        if not ticket.equipment:
            out.append(("equipment", "missing"))
        else:
            out.append(("equipment", "ok" if any(g in ticket.equipment.lower() for g in given)
                        else f"{ticket.equipment!r}, expected one of {sorted(given)}"))
    else:
        out.append(("equipment", "n/a"))
    if "configuration" in asked and problem.configuration:
        check("configuration", ticket.configuration, problem.configuration)
    else:
        out.append(("configuration", "n/a" if ticket.configuration is None else "ok"))
    said = (ticket.problem or "").lower()
    out.append(("problem", "ok" if said.startswith(problem.text.lower())
                else f"{ticket.problem!r}, expected it to start {problem.text!r}"))
    doing = problem.before.lower()  # asked with the problem, or on its own
    out.append(("what they were doing", "ok" if doing in said
                or (ticket.steps_before or "").lower() == doing
                else f"{ticket.problem!r} / {ticket.steps_before!r}: no {problem.before!r}"))
    answers = ticket.answers or {}
    for key in ("impact", "urgency"):  # kept with the ticket's answers; the priority says both
        check(key, answers.get(key), getattr(problem, key))
    check("priority", ticket.priority, expected_priority(problem))
    return out


# ---- report ---------------------------------------------------------------------------------

def describe(answer: Answer) -> str:
    value = "hang up" if answer.how == "hangup" else (
        f'"{answer.value}"' if answer.how == "speech" else f"key {answer.value}")
    return f"{answer.intent}={value}"


def print_result(result: Result, transcript: bool) -> bool:
    """The caller's lines of the report; True when their ticket lacks an SOP field."""
    bad = [(f, s) for f, s in result.fields if not s.startswith(("ok", "n/a"))]
    print(f"  line words to the ticket number: {result.words}; answers: "
          f"{len(result.answers)}; estimated: {result.seconds:.0f} s "
          f"({result.words * 60 / WORDS_PER_MINUTE:.0f} s speech + "
          f"{SECONDS_PER_ANSWER * len(result.answers)} s answers)")
    print("  answers: " + ", ".join(describe(a) for a in result.answers))
    print("  SOP fields: " + ("all present" if not bad else "MISSING OR WRONG: "
                              + "; ".join(f"{f}: {s}" for f, s in bad))
          + " (" + ", ".join(f"{f} {s.split(' ')[0]}" for f, s in result.fields) + ")")
    if transcript:
        print("  line said: " + re.sub(r"\s+", " ", result.spoken))
    return bool(bad)


def run_callers(app, worst: dict[str, float], transcript: bool) -> int:
    """Rings the line with every persona, printing each; the callers without a complete
    ticket. `worst` gets the longest estimated time to the ticket number by kind."""
    problems = 0
    for persona in personas():
        result = run_call(app, persona)
        kind = "known" if persona.known else "new"
        print(f"\n{persona.label} [{LABEL[persona.language]}, {kind}, "
              f"{'keypad' if persona.keypad else 'speech'}]")
        if result.stuck is not None:
            problems += 1
            worst[kind] = float("inf")
            print(f"  NO TICKET NUMBER: stuck at {result.stuck!r}")
            print("  answers: " + ", ".join(describe(a) for a in result.answers))
            continue
        worst[kind] = max(worst[kind], result.seconds)
        problems += print_result(result, transcript)
    return problems


def fmt(seconds: float) -> str:
    return "no ticket" if seconds == float("inf") else f"{seconds:.0f} s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--transcript", action="store_true",
                        help="also print what the line said to each caller")
    parser.add_argument("--database-url", "--database", dest="database_url",
                        help="PostgreSQL URL (ALL its tables are dropped before and after); "
                             "default: a fresh SQLite file")
    args = parser.parse_args(argv)
    logging.getLogger("ivr").setLevel(logging.WARNING)

    worst = {"new": 0.0, "known": 0.0}
    started = time.monotonic()
    with bench_database(args.database_url, "call_length-") as database_url:
        app = build_app(database_url)
        app.extensions["clock"] = lambda: OPEN_WEEKDAY
        print(f"backend: {app.extensions['engine'].dialect.name}; clock: "
              f"{OPEN_WEEKDAY:%A %Y-%m-%d %H:%M} UTC; {WORDS_PER_MINUTE} words/min + "
              f"{SECONDS_PER_ANSWER} s per answer")
        problems = run_callers(app, worst, args.transcript)
        app.extensions["engine"].dispose()
    if problems:
        print(f"\n{problems} caller(s) without a complete ticket")
    print(f"\ntotal run: {time.monotonic() - started:.0f} s")
    print(f"worst new: {fmt(worst['new'])}, worst known: {fmt(worst['known'])}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
