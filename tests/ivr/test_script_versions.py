"""Scripts as data: versions pinned per call, bad scripts refused, languages added in YAML."""

from __future__ import annotations

import pytest
import yaml
from sqlalchemy import select

from call_scripts import ScriptError, shipped_scripts
from tickets import versions
from tickets.models import Ticket


def intake_text() -> str:
    return shipped_scripts()["intake"].read_text(encoding="utf-8")


def test_a_live_call_keeps_the_script_version_it_started_with(call, db):
    caller = call().press("1")  # English, the new caller's first question
    changed = intake_text().replace("        For a ticket's status, press 1. What is wrong, "
                                    "and what were you doing when",
                                    "        Version two. For a ticket's status, press 1. "
                                    "What is wrong, and what were you doing when")
    assert changed.count("Version two") == 1
    versions.publish(db, "intake", changed, author="admin")
    db.commit()
    caller.press("7")  # garbage: the question is said again, from the version the call began with
    caller.hears("For a ticket's status, press 1")
    assert "Version two" not in caller.text
    fresh = call().press("1")
    fresh.hears("Version two. For a ticket's status")


def test_a_bad_script_is_refused_with_the_step_named(db):
    broken = intake_text().replace("next: ask_department", "next: ask_departmnet", 1)
    with pytest.raises(ScriptError) as exc:
        versions.publish(db, "intake", broken)
    message = str(exc.value)
    assert "step 'ask_name'" in message and "ask_departmnet" in message
    line = next(i for i, text in enumerate(broken.splitlines(), 1) if "ask_departmnet" in text)
    assert f"intake.yaml:{line}:" in message


def test_scripts_check_cli_prints_file_line_and_step(app, tmp_path):
    bad = tmp_path / "intake.yaml"
    bad.write_text(intake_text().replace("type: menu", "type: menuu", 1), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["ivr", "scripts", "check", str(bad)])
    assert result.exit_code == 1
    assert "intake.yaml:" in result.output and "unknown step type 'menuu'" in result.output
    good = app.test_cli_runner().invoke(
        args=["ivr", "scripts", "check", str(shipped_scripts()["intake"])])
    assert good.exit_code == 0 and "ok" in good.output


def with_fourth_language(text: str) -> str:
    """The intake script with French added: YAML only, every prompt given a French text."""
    data = yaml.safe_load(text)
    data["languages"]["fr-FR"] = {"voice": "Polly.Lea", "label": "Français",
                                  "select": "Pour le français, appuyez sur 4."}

    def add_french(node):
        if isinstance(node, dict):
            if "en-US" in node and isinstance(node["en-US"], str):
                node["fr-FR"] = "[fr] " + node["en-US"]
            elif "en-US" in node and isinstance(node["en-US"], list):
                node["fr-FR"] = list(node["en-US"])
            elif "en-US" in node and isinstance(node["en-US"], dict):  # plural forms
                english = node["en-US"]
                node["fr-FR"] = {form: "[fr] " + english.get(form, english["other"])
                                 for form in ("one", "many", "other")}  # French's forms
            for value in list(node.values()):
                add_french(value)
        elif isinstance(node, list):
            for value in node:
                add_french(value)

    add_french({k: v for k, v in data.items() if k != "languages"})
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def test_a_fourth_language_added_in_yaml_alone_carries_a_whole_call(call, db, demo):
    versions.publish(db, "intake", with_fourth_language(intake_text()), author="admin")
    db.commit()
    caller = call(from_="+12025550147")
    caller.hears("Pour le français, appuyez sur 4")
    caller.press("4")
    assert caller.languages == {"fr-FR"}
    assert {h.voice for h in caller.heard} == {"Polly.Lea"}
    assert caller.prompt.language == "fr-FR"
    caller.speak("Mot de passe expiré, je me connectais")  # no guess from these words
    caller.speak("Jeanne Dupont").speak("Finance").speak("Salle 3")
    caller.press("1").press("*")  # the menu of services, as nothing was guessed
    caller.press("4").press("2")  # accounts; no self-service answer, a ticket
    caller.press("4").press("2")  # my team, with difficulty
    caller.hears("[fr] Ticket ", "is open, with priority")
    assert caller.languages == {"fr-FR"}
    caller.press("2").wait()
    assert caller.hung_up
    ticket = db.scalar(select(Ticket).where(Ticket.caller_name == "Jeanne Dupont"))
    assert ticket.language == "fr-FR" and ticket.category == "access"
    assert ticket.priority == "critical_situation"  # my team x with difficulty


def test_a_policy_published_between_two_callers_is_what_the_next_one_hears(call, db, demo,
                                                                            clock):
    from tests.ivr.test_queue import add_agent, to_queue

    add_agent(db, "Ann", tier=1, status="on_call")
    first = to_queue(call, number="+15551230001")
    first.hears("All our analysts are helping other callers right now")
    text = versions.current(db, "default", "policy").text
    versions.publish(db, "default", text.replace(
        "All our analysts are helping other callers right now.",
        "Every analyst is on a call."), "admin", "policy")
    db.commit()
    second = to_queue(call, number="+15551230001")
    second.hears("Every analyst is on a call")


def test_a_step_reads_no_script_text(app, call, db):
    """The live script and policy come from the process's cache: a turn, a call's start and a
    queue arrival never load a version's text again."""
    from tests.queues.test_routing_statements import statements as run

    call().press("1")  # the versions are published and cached
    with run(app) as statements:
        caller = call().press("1").speak("The printer jams on every page")
        caller.hears("name")
    assert statements and not [s for s in statements if "script_version.text" in s]


def test_a_call_start_finds_the_live_versions_in_one_statement(app, call, db):
    """The freshness check of a call's start (the intake script, the default hold policy) and
    of a hold webhook (the default policy and its queue's own) is one statement, and a tier's
    own policy published since is what that tier's queue reads, the others the default."""
    from tests.queues.test_routing_statements import statements as run

    call().press("1")  # the versions are published and cached
    text = versions.current(db, "default", "policy").text
    versions.publish(db, "tier2", text.replace(
        "All our analysts are helping other callers right now.",
        "Every tier 2 analyst is on a call."), "admin", "policy")
    db.commit()
    with run(app) as statements:
        call().hears("For English, press 1")
        started = [s for s in statements if "FROM script_version" in s]
        statements.clear()
        with app.app_context():
            session = app.extensions["sessionmaker"]()
            tier2 = versions.live_policy(session, 2)
            tier1 = versions.live_policy(session, 1)
            default = versions.live_policy(session)
            session.close()
    assert len(started) == 1
    checks = [s for s in statements if "FROM script_version" in s and ".text" not in s]
    assert len(checks) == 1  # (and tier2's text, new, loaded once)
    assert "Every tier 2 analyst is on a call." in str(tier2.messages)
    assert tier1 is default and "Every tier 2" not in str(default.messages)
