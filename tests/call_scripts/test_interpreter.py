"""What a caller hears and what the host is asked to do, turn by turn."""

import copy
import json

import pytest

from call_scripts import (
    Effect,
    Gather,
    Hangup,
    Input,
    Log,
    Result,
    Say,
    Silence,
    advance,
    assess_priority,
    parse,
    start,
)

MENU = """
hello:
  type: say
  prompt: {en-US: Welcome to the test line.}
  next: main
main:
  type: menu
  field: choice
  prompt: {en-US: For sales press 1. For support press 2.}
  options:
    "1": {next: sales, set: {department: sales}}
    "2": {next: bye}
sales:
  type: say
  prompt: {en-US: Sales it is.}
  next: bye
bye:
  type: hangup
  prompt: {en-US: Goodbye.}
way_out:
  type: hangup
  prompt: {en-US: We could not help you by phone.}
"""

NAME = """
ask_name:
  type: ask
  field: name
  input: speech
  validate: {kind: speech, min_length: 2}
  prompt: {en-US: Please say your name.}
  read_back: {en-US: "I heard {value}."}
  next: thanks
thanks:
  type: say
  prompt: {en-US: "Thank you, {name}."}
  next: bye
bye:
  type: hangup
"""

CALLBACK = """
ask_callback:
  type: ask
  field: callback_number
  validate: {kind: phone}
  skip_key: "*"
  prompt: {en-US: Please key in your number.}
  next: bye
bye:
  type: hangup
"""

LANGUAGE = """
choose:
  type: language
  known: caller.language
  next: hello
hello:
  type: say
  prompt: {en-US: Hello., it-IT: Buongiorno.}
  next: bye
bye:
  type: hangup
  prompt: {en-US: Goodbye., it-IT: Arrivederci.}
"""

LOOKUP = """
identify:
  type: action
  do: lookup_caller
  args: {phone: caller_id}
  result: caller
  next: known
known:
  type: branch
  cases:
    - when: {field: caller.found, equals: true}
      next: welcome_back
  default: welcome
welcome_back:
  type: say
  prompt: {en-US: "Welcome back, {caller.name}."}
  next: bye
welcome:
  type: say
  prompt: {en-US: Welcome.}
  next: bye
bye:
  type: hangup
"""


def heard(turn) -> list[str]:
    """Everything the caller hears in a turn, in order, including a Gather's prompts."""
    out = []
    for action in turn.actions:
        if isinstance(action, Say):
            out.append(action.text)
        elif isinstance(action, Gather):
            out.extend(say.text for say in action.prompts)
    return out


def logged(turn, kind: str) -> list[Log]:
    return [a for a in turn.actions if isinstance(a, Log) and a.kind == kind]


@pytest.fixture
def menu(make_script):
    return make_script(MENU, on_fail="way_out")


# ---- starting a call ---------------------------------------------------------------------


def test_start_says_the_say_steps_and_stops_at_the_first_gather(menu):
    turn = start(menu)

    assert [type(a) for a in turn.actions] == [Say, Gather]
    assert heard(turn) == ["Welcome to the test line.", "For sales press 1. For support press 2."]
    assert turn.state["step"] == "main"
    assert turn.effect is None


def test_intake_looks_up_the_caller_then_greets_with_the_helpdesk_name(intake):
    turn = start(intake, {"helpdesk": "Acme IT", "caller_id": "+12015550123"}, "en-US")

    assert heard(turn) == []  # nothing is said before we know who calls
    assert turn.effect.name == "lookup_caller"
    assert turn.effect.args == {"phone": "+12015550123"}
    turn = advance(intake, turn.state, Result({"found": False}))
    assert heard(turn)[0] == "Thank you for calling Acme IT."
    assert "For English, press 1." in heard(turn)


def test_a_known_caller_is_greeted_in_their_language_from_the_first_word(intake):
    names = {"en-US": "the IT Help Desk", "it-IT": "l'Help Desk IT"}
    turn = start(intake, {"helpdesk": names, "caller_id": "+393331234567"}, "en-US")
    turn = advance(intake, turn.state, Result({"found": True, "language": "it-IT",
                                               "name": "Marco", "open_count": 1}))

    said = [a for a in turn.actions if isinstance(a, Say)] + [
        p for a in turn.actions if isinstance(a, Gather) for p in a.prompts]
    assert said[0].text == "Grazie per aver chiamato l'Help Desk IT."
    assert {s.language for s in said} == {"it-IT"}
    turn = advance(intake, turn.state, Result({"active": False}))  # no major incident
    # no place on file: the problem first, the place asked after it
    assert heard(turn)[-1] == ("Salve, Marco. Per lo stato di un ticket, prema 1. Cosa non va, e "
                               "cosa stava facendo quando è iniziato?")


# ---- menus -------------------------------------------------------------------------------


def test_menu_key_moves_on_and_logs_the_answer(menu):
    turn = advance(menu, start(menu).state, Input(digits="1"))

    assert heard(turn) == ["Sales it is.", "Goodbye."]
    assert turn.state["fields"] == {"choice": "1", "department": "sales"}
    [answer] = logged(turn, "answer")
    assert answer.step == "main" and "department=sales" in answer.text


def test_menu_option_may_set_any_field_name(make_script):
    script = make_script(
        """
        main:
          type: menu
          prompt: {en-US: For hardware press 1.}
          options:
            "1": {next: bye, set: {kind: hardware, text: printer, key: A4}}
        bye:
          type: hangup
        """,
        start="main",
    )

    turn = advance(script, start(script).state, Input(digits="1"))

    assert turn.state["fields"] == {"kind": "hardware", "text": "printer", "key": "A4"}
    [answer] = logged(turn, "answer")
    assert answer.data == {"kind": "hardware", "text": "printer", "key": "1"}


def test_menu_bad_key_says_sorry_and_the_prompt_again(menu):
    turn = advance(menu, start(menu).state, Input(digits="7"))

    assert heard(turn) == [
        "Sorry, I did not understand that.",
        "For sales press 1. For support press 2.",
    ]
    assert turn.state["step"] == "main"
    assert len(logged(turn, "reprompt")) == 1


def test_menu_silence_says_no_input_and_the_prompt_again(menu):
    turn = advance(menu, start(menu).state, Silence())

    assert heard(turn) == [
        "Sorry, I did not hear anything.",
        "For sales press 1. For support press 2.",
    ]
    assert len(logged(turn, "reprompt")) == 1


def test_menu_gives_up_after_retries_plus_one_failures(menu):
    state = start(menu).state
    for _ in range(menu.defaults.retries):
        turn = advance(menu, state, Input(digits="7"))
        assert turn.state["step"] == "main"
        state = turn.state

    turn = advance(menu, state, Silence())

    assert heard(turn) == ["We could not help you by phone."]
    assert turn.actions[-1] == Hangup()
    assert len(logged(turn, "way_out")) == 1


# ---- asking for a value --------------------------------------------------------------------


def test_ask_reads_a_low_confidence_answer_back_before_storing_it(make_script):
    script = make_script(NAME, start="ask_name")

    turn = advance(script, start(script).state, Input(speech="Ada Lovelace", confidence=0.5))

    assert heard(turn) == [
        "I heard Ada Lovelace.",
        "If that is right, press 1. To try again, press 2.",
    ]
    assert "name" not in turn.state["fields"]


def test_ask_confirmed_with_1_stores_the_value_and_its_confidence(make_script):
    script = make_script(NAME, start="ask_name")
    state = advance(script, start(script).state, Input(speech="Ada Lovelace", confidence=0.5)).state

    turn = advance(script, state, Input(digits="1"))

    assert turn.state["fields"] == {"name": "Ada Lovelace", "name_confidence": 0.5}
    assert heard(turn) == ["Thank you, Ada Lovelace."]
    assert logged(turn, "answer")[0].data["value"] == "Ada Lovelace"


def test_a_high_confidence_answer_is_taken_without_a_read_back(make_script):
    script = make_script(NAME, start="ask_name")

    turn = advance(script, start(script).state, Input(speech="Ada Lovelace", confidence=0.9))

    assert heard(turn) == ["Thank you, Ada Lovelace."]  # no "I heard ..., if that is right"
    assert turn.state["fields"] == {"name": "Ada Lovelace", "name_confidence": 0.9}


def test_speech_without_a_confidence_is_read_back(make_script):
    script = make_script(NAME, start="ask_name")

    turn = advance(script, start(script).state, Input(speech="Ada Lovelace"))

    assert heard(turn)[0] == "I heard Ada Lovelace."
    assert "name" not in turn.state["fields"]


def test_the_threshold_is_the_scripts_to_set(make_script):
    script = make_script(NAME, start="ask_name")
    strict = script.model_copy(update={"defaults": script.defaults.model_copy(
        update={"read_back_below": 0.95})})

    turn = advance(strict, start(strict).state, Input(speech="Ada Lovelace", confidence=0.9))

    assert heard(turn)[0] == "I heard Ada Lovelace."


KEYED = """
ask_number:
  type: ask
  field: number
  validate: {kind: digits, min_length: 3, max_length: 15}
  prompt: {en-US: Key the number.}
  read_back: {en-US: "I have {value:digits}."}
  next: bye
bye:
  type: hangup
"""


def test_a_long_keyed_entry_is_read_back_and_a_short_one_is_not(make_script):
    script = make_script(KEYED, start="ask_number")

    long = advance(script, start(script).state, Input(digits="2025550147"))
    short = advance(script, start(script).state, Input(digits="1001"))

    assert heard(long)[0] == "I have 2 0 2 5 5 5 0 1 4 7."
    assert "number" not in long.state["fields"]
    assert heard(short) == [] and short.state["fields"]["number"] == "1001"
    assert short.state["mode"] == "ended"


def test_ask_rejected_with_2_asks_again(make_script):
    script = make_script(NAME, start="ask_name")
    state = advance(script, start(script).state, Input(speech="Ada Lovelock", confidence=0.4)).state

    turn = advance(script, state, Input(digits="2"))

    assert heard(turn) == ["Please say your name."]
    assert turn.state["step"] == "ask_name"
    assert "name" not in turn.state["fields"]
    assert logged(turn, "reprompt")[0].data["rejected"] == "Ada Lovelock"


def test_ask_phone_stores_the_number_in_e164(make_script):
    script = make_script(CALLBACK, start="ask_callback")

    turn = advance(script, start(script).state, Input(digits="2015550123"))

    assert turn.state["fields"] == {"callback_number": "+12015550123"}


def test_ask_phone_reprompts_for_an_invalid_number(make_script):
    script = make_script(CALLBACK, start="ask_callback")

    turn = advance(script, start(script).state, Input(digits="12345"))

    assert heard(turn) == ["Sorry, I did not understand that.", "Please key in your number."]
    assert "callback_number" not in turn.state["fields"]
    assert logged(turn, "reprompt")[0].data["heard"] == "12345"


def test_skip_key_stores_none(make_script):
    script = make_script(CALLBACK, start="ask_callback")

    turn = advance(script, start(script).state, Input(digits="*"))

    assert turn.state["fields"] == {"callback_number": None}
    assert turn.actions[-1] == Hangup()


# ---- languages -----------------------------------------------------------------------------


def test_known_language_is_used_without_asking(make_script):
    script = make_script(LANGUAGE, start="choose", languages=("en-US", "it-IT"))

    turn = start(script, {"caller": {"language": "it-IT"}})

    assert not any(isinstance(a, Gather) for a in turn.actions)
    assert turn.actions[1] == Say("Buongiorno.", "it-IT", "Polly.Bianca")
    assert logged(turn, "language")[0].data == {"language": "it-IT"}


def test_language_menu_offers_each_language_in_its_own_voice(make_script):
    script = make_script(LANGUAGE, start="choose", languages=("en-US", "it-IT"))

    [gather] = start(script).actions

    assert gather.prompts == (
        Say("For English, press 1.", "en-US", "Polly.Joanna"),
        Say("Per l'italiano, premi 2.", "it-IT", "Polly.Bianca"),
    )


def test_pressing_2_continues_in_the_second_language(make_script):
    script = make_script(LANGUAGE, start="choose", languages=("en-US", "it-IT"))

    turn = advance(script, start(script).state, Input(digits="2"))

    says = [a for a in turn.actions if isinstance(a, Say)]
    assert says == [
        Say("Buongiorno.", "it-IT", "Polly.Bianca"),
        Say("Arrivederci.", "it-IT", "Polly.Bianca"),
    ]
    assert turn.state["language"] == "it-IT"


# ---- effects and their results -------------------------------------------------------------


def test_action_step_asks_the_host_for_an_effect_last(make_script):
    script = make_script(LOOKUP, start="identify")

    turn = start(script, {"caller_id": "+12015550123"})

    assert isinstance(turn.actions[-1], Effect)
    assert turn.effect is turn.actions[-1]
    assert (turn.effect.name, turn.effect.args) == ("lookup_caller", {"phone": "+12015550123"})


@pytest.mark.parametrize(
    ("found", "greeting"),
    [
        ({"found": True, "name": "Ada"}, "Welcome back, Ada."),
        ({"found": False}, "Welcome."),
    ],
)
def test_result_is_stored_and_branched_on(make_script, found, greeting):
    script = make_script(LOOKUP, start="identify")
    state = start(script, {"caller_id": "+12015550123"}).state

    turn = advance(script, state, Result(found))

    assert turn.state["fields"]["caller"] == found
    assert heard(turn) == [greeting]


@pytest.mark.parametrize(
    ("impact", "urgency", "planned", "label"),
    [
        ("organisation", "blocked", "unplanned", "enterprise_failure"),
        ("organisation", "blocked", "planned", "planned_event"),
        ("me", "works", "unplanned", "regular_service"),
    ],
)
def test_intake_priority_matrix(intake, impact, urgency, planned, label):
    answers = {"impact": impact, "urgency": urgency, "planned": planned}

    assert assess_priority(intake, answers) == label


# ---- the state between webhooks ------------------------------------------------------------

INTAKE_CALL = [
    Result({"found": False}),  # lookup_caller
    Input(digits="1"),  # the first language
    Input(digits="1"),  # report a new problem
    Input(speech="Ada Lovelace", confidence=0.8),
    Silence(),
    Input(digits="1"),  # confirm the name
    Input(speech="Finance", confidence=0.7),
]


def test_state_survives_a_json_round_trip_after_every_turn(intake):
    turn = start(intake, {"helpdesk": "Acme IT", "caller_id": "+12015550123"})
    for event in INTAKE_CALL:
        assert json.loads(json.dumps(turn.state)) == turn.state
        turn = advance(intake, turn.state, event)
    assert json.loads(json.dumps(turn.state)) == turn.state


def test_advance_does_not_change_the_state_it_is_given(intake):
    turn = start(intake, {"helpdesk": "Acme IT", "caller_id": "+12015550123"})
    for event in INTAKE_CALL:
        before = copy.deepcopy(turn.state)
        new = advance(intake, turn.state, event)
        assert turn.state == before
        turn = new


# ---- ending and templates ------------------------------------------------------------------


def test_hangup_step_ends_the_call(make_script):
    turn = start(make_script())

    assert heard(turn) == ["Hello.", "Goodbye."]
    assert turn.actions[-1] == Hangup()
    assert turn.state["mode"] == "ended"


@pytest.mark.parametrize("event", [Input(digits="1"), Silence(), Result({"found": True})])
def test_any_event_after_hangup_just_hangs_up(make_script, event):
    ended = start(make_script()).state

    assert advance(make_script(), ended, event).actions == (Hangup(),)


@pytest.mark.parametrize("ticket", ["1234", 1234])
def test_digits_template_says_a_number_digit_by_digit(make_script, ticket):
    script = make_script("""
        hello:
          type: say
          prompt: {en-US: "Your ticket is {ticket:digits}."}
          next: bye
        bye:
          type: hangup
    """)

    assert heard(start(script, {"ticket": ticket}))[0] == "Your ticket is 1 2 3 4."


def test_spoken_menu_words_match_whole_words_only(make_script):
    script = make_script("""
        pick:
          type: menu
          input: dtmf speech
          prompt: {en-US: "Yes or no"}
          options:
            "1": {next: bye, words: {en-US: ["ya"]}}
            "2": {next: bye, words: {en-US: ["tidak"]}}
        bye:
          type: hangup
    """, start="pick")
    from call_scripts import Input, Log, advance, start

    turn = start(script, {})
    turn = advance(script, turn.state, Input(speech="tidak, saya tak perlu"))
    assert [a.data["key"] for a in turn.actions if isinstance(a, Log)] == ["2"]


RECORD = """
hello:
  type: record
  field: message
  max_length: 90
  prompt: {en-US: Leave your message after the tone.}
  next: done
done:
  type: branch
  cases:
    - when: {field: message, present: true}
      next: thanks
  default: bye
thanks:
  type: hangup
  prompt: {en-US: Thank you for your message.}
bye:
  type: hangup
  prompt: {en-US: Goodbye.}
"""


def test_record_step_keeps_the_recording_and_silence_moves_on(make_script):
    from call_scripts import Record, Recorded

    script = make_script(RECORD)
    turn = start(script)
    [record] = turn.actions
    assert isinstance(record, Record) and record.max_length == 90
    assert record.prompt.text == "Leave your message after the tone."

    kept = advance(script, turn.state, Recorded(url="https://api.twilio.com/RE1", seconds=7))
    assert kept.state["fields"]["message"] == {"url": "https://api.twilio.com/RE1", "seconds": 7}
    assert [a.text for a in kept.actions if isinstance(a, Say)] == ["Thank you for your message."]
    assert any(isinstance(a, Log) and a.kind == "recording" for a in kept.actions)

    silent = advance(script, turn.state, Silence())
    assert "message" not in silent.state["fields"]
    assert [a.text for a in silent.actions if isinstance(a, Say)] == ["Goodbye."]


RECORD_AGAIN = """
hello:
  type: record
  field: message
  prompt: {en-US: Leave your message after the tone.}
  next: check
check:
  type: branch
  cases:
    - when: {field: message, present: true}
      next: bye
  default: hello
bye:
  type: hangup
  prompt: {en-US: Goodbye.}
"""


def test_a_loop_through_a_record_step_takes_input(make_script):
    # No recording: ask again. Valid, because the record step waits for the callee.
    script = make_script(RECORD_AGAIN)
    turn = advance(script, start(script).state, Silence())
    assert [a.prompt.text for a in turn.actions if hasattr(a, "max_length")] == [
        "Leave your message after the tone."]


# ---- secrets and numbers the line will not call ------------------------------------------

PIN = """
ask_pin:
  type: ask
  field: pin
  secret: true
  validate: {kind: digits, min_length: 4, max_length: 8}
  prompt: {en-US: Please key in your PIN.}
  next: check_pin
check_pin:
  type: action
  do: verify_pin
  args: {number: ticket_query, pin: pin}
  result: status
  next: told
told:
  type: menu
  prompt: {en-US: "Press 1 to hear it again."}
  options:
    "1": {next: bye}
bye:
  type: hangup
"""


def test_a_secret_answer_is_used_once_and_never_logged_or_kept(make_script):
    script = make_script(PIN, start="ask_pin")
    turn = start(script, {"ticket_query": "10001"})

    turn = advance(script, turn.state, Input(digits="9164"))

    assert turn.effect.args == {"number": "10001", "pin": "9164"}  # the host gets it once
    assert "pin" not in turn.effect.fields and "pin" not in turn.state["fields"]
    assert [a.text for a in logged(turn, "answer")] == ["pin: keyed (secret, not recorded)"]
    turn = advance(script, turn.state, Result({"allowed": False}))
    assert "9164" not in json.dumps(turn.state)
    assert not any("9164" in json.dumps([a.text, a.data]) for a in turn.actions
                   if isinstance(a, Log))


def test_a_wrong_secret_is_reprompted_without_saying_or_logging_what_was_keyed(make_script):
    script = make_script(PIN, start="ask_pin")

    turn = advance(script, start(script).state, Input(digits="91x"))

    assert heard(turn) == ["Sorry, I did not understand that.", "Please key in your PIN."]
    line = logged(turn, "reprompt")[0]
    assert "91" not in line.text and line.data["heard"] == "" and "91" not in line.data["reason"]
    assert "91x" not in json.dumps(turn.state)


@pytest.mark.parametrize("keyed", [
    "011447012345678",  # a UK personal number, dialled the American way
    "19005551234",  # premium rate
    "2025550",  # too short to be a number
    "6175551",  # plausible, but no valid number
])
def test_a_number_the_line_will_not_call_is_refused_when_keyed(script_text, keyed):
    text = script_text(CALLBACK, start="ask_callback").replace("defaults:\n", (
        "defaults:\n  number_refused: {en-US: That number cannot be called back. "
        "Please key another.}\n"))
    script = parse(text)

    turn = advance(script, start(script).state, Input(digits=keyed))

    assert heard(turn) == ["That number cannot be called back. Please key another.",
                           "Please key in your number."]
    assert "callback_number" not in turn.state["fields"]


def test_the_hosts_rule_decides_which_numbers_may_be_keyed(make_script):
    from call_scripts.phones import DialRule

    script = make_script(CALLBACK, start="ask_callback")
    uk_only = DialRule.of(["fixed_line", "mobile"], ["GB"])

    refused = advance(script, start(script, dialling=uk_only).state, Input(digits="2025550147"))
    taken = advance(script, start(script, {"caller_region": "GB"}, dialling=uk_only).state,
                    Input(digits="02071234567"))

    assert "callback_number" not in refused.state["fields"]
    assert taken.state["fields"]["callback_number"] == "+442071234567"
