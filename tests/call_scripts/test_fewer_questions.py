"""The script features that save a caller a question (issue 18): a key that leaves a spoken
question for another step ("for a ticket's status, press 1; otherwise, what is the problem?"),
a branch on the words of an answer ("vpn"), and a guess confirmed by choosing from the pick it
leads to ("That sounds like a hardware problem. About your Dell Latitude, press 1. ...")."""

import pytest

from call_scripts import Gather, Input, ScriptError, advance, start

from .test_interpreter import heard, logged

FIRST_QUESTION = """
problem:
  type: ask
  field: problem
  input: dtmf speech
  validate: {kind: speech, min_length: 3, max_length: 500}
  keys: {"1": status}
  prompt: {en-US: "For a ticket's status, press 1. Otherwise, what is wrong?"}
  next: vpn
vpn:
  type: branch
  cases:
    - when: {field: problem, words: [vpn]}
      next: vpn_help
  default: bye
vpn_help:
  type: say
  prompt: {en-US: The VPN address is vpn dot example dot com.}
  next: bye
status:
  type: say
  prompt: {en-US: "Your ticket number?"}
  next: bye
bye:
  type: hangup
  prompt: {en-US: Goodbye.}
"""


@pytest.fixture
def first(make_script):
    return make_script(FIRST_QUESTION, start="problem")


def test_a_key_leaves_the_question_for_its_step_and_answers_nothing(first):
    opened = start(first)
    [gather] = [a for a in opened.actions if isinstance(a, Gather)]
    assert gather.num_digits == 1 and gather.input == "dtmf speech"  # one key ends it

    turn = advance(first, opened.state, Input(digits="1"))

    assert heard(turn) == ["Your ticket number?", "Goodbye."]
    assert "problem" not in turn.state["fields"]
    assert "key 1 pressed" in logged(turn, "answer")[0].text


def test_a_spoken_answer_is_kept_and_another_key_is_refused(first):
    turn = advance(first, start(first).state, Input(digits="7"))
    assert heard(turn)[0] == "Sorry, I did not understand that."

    said = "My laptop will not start, I was opening the budget"
    turn = advance(first, turn.state, Input(speech=said, confidence=0.9))

    assert turn.state["fields"]["problem"] == said
    assert heard(turn) == ["Goodbye."]


@pytest.mark.parametrize("said,helped", [
    ("The VPN drops every ten minutes", True),
    ("My vpn client will not connect", True),
    ("The vpnclient icon is grey", False),  # whole words only
    ("The printer jams", False),
])
def test_a_branch_on_the_words_of_an_answer(first, said, helped):
    turn = advance(first, start(first).state, Input(speech=said, confidence=0.9))
    assert ("The VPN address is vpn dot example dot com." in heard(turn)) is helped


def test_keys_on_a_question_that_takes_no_speech_are_refused(make_script):
    steps = FIRST_QUESTION.replace("input: dtmf speech", "input: dtmf").replace(
        "kind: speech", "kind: digits")
    with pytest.raises(ScriptError) as err:
        make_script(steps, start="problem")
    assert "keys: '1' needs a spoken answer" in str(err.value)


def test_a_key_that_is_also_the_skip_key_is_refused(make_script):
    steps = FIRST_QUESTION.replace('keys: {"1": status}', 'keys: {"*": status}\n  skip_key: "*"')
    with pytest.raises(ScriptError) as err:
        make_script(steps, start="problem")
    assert "keys: '*' is not a single keypad key of its own" in str(err.value)


def test_keys_that_name_no_step_are_refused(make_script):
    with pytest.raises(ScriptError) as err:
        make_script(FIRST_QUESTION.replace('"1": status', '"1": nowhere'), start="problem")
    assert "'nowhere'" in str(err.value)


GUESS_AND_PICK = """
problem:
  type: ask
  field: problem
  input: speech
  validate: {kind: speech, min_length: 3}
  prompt: {en-US: "What is the problem?"}
  next: guess
guess:
  type: guess
  menu: service
  from: problem
  prompt: {en-US: "That sounds like {guess}. If right, press 1. To choose, press 2."}
  named: {en-US: "That sounds like {guess}."}
  choose: {en-US: "For another type of service, press {key}."}
service:
  type: menu
  field: service_key
  prompt: {en-US: "Hardware, press 1. Network, press 2."}
  options:
    "1":
      next: device
      set: {category: hardware}
      name: {en-US: a hardware problem}
      words: {en-US: [printer, laptop]}
    "2":
      next: bye
      set: {category: network}
      name: {en-US: a network problem}
      words: {en-US: [network, vpn]}
device:
  type: pick
  items: caller.devices
  prompt: {en-US: "About your {item}, press {key}."}
  other: {en-US: "About other equipment, press {key}."}
  next: bye
  other_next: model
model:
  type: ask
  field: equipment
  input: speech
  validate: {kind: speech, min_length: 2}
  prompt: {en-US: Say the model.}
  next: bye
bye:
  type: hangup
  prompt: {en-US: Goodbye.}
"""

DEVICES = [{"label": "Dell Latitude", "set": {"equipment": "Dell Latitude (A-1)"}},
           {"label": "HP LaserJet", "set": {"equipment": "HP LaserJet (A-2)"}}]


def guessed(make_script, devices, said="My laptop will not start", steps=None):
    script = make_script(steps or GUESS_AND_PICK, start="problem")
    state = start(script, fields={"caller": {"devices": devices}}).state
    return script, advance(script, state, Input(speech=said, confidence=0.9))


def test_a_guess_leading_to_the_pick_offers_the_pick_at_once(make_script):
    _, turn = guessed(make_script, DEVICES)

    assert heard(turn) == ["That sounds like a hardware problem.",
                           "About your Dell Latitude, press 1.", "About your HP LaserJet, press 2.",
                           "About other equipment, press 3.",
                           "For another type of service, press 4."]
    [gather] = [a for a in turn.actions if isinstance(a, Gather)]
    assert gather.num_digits == 1


def test_choosing_an_item_confirms_the_guess_and_keeps_the_item(make_script):
    script, turn = guessed(make_script, DEVICES)

    turn = advance(script, turn.state, Input(digits="2"))

    fields = turn.state["fields"]
    assert fields["category"] == "hardware" and fields["service_key"] == "1"
    assert fields["equipment"] == "HP LaserJet (A-2)"
    answers = [log.text for log in logged(turn, "answer")]
    assert any("(guessed, confirmed)" in t for t in answers)
    assert any("HP LaserJet" in t for t in answers)
    assert heard(turn) == ["Goodbye."]


def test_other_equipment_confirms_the_guess_and_asks_for_the_model(make_script):
    script, turn = guessed(make_script, DEVICES)

    turn = advance(script, turn.state, Input(digits="3"))

    assert turn.state["fields"]["category"] == "hardware"
    assert heard(turn) == ["Say the model."]


def test_the_key_after_the_items_refuses_the_guess_and_gives_the_menu(make_script):
    script, turn = guessed(make_script, DEVICES)

    turn = advance(script, turn.state, Input(digits="4"))

    assert "category" not in turn.state["fields"]
    assert heard(turn) == ["Hardware, press 1. Network, press 2."]
    assert "guess 1 refused" in logged(turn, "answer")[0].text


def test_a_key_beyond_the_offer_is_not_understood(make_script):
    script, turn = guessed(make_script, DEVICES)

    turn = advance(script, turn.state, Input(digits="5"))

    assert heard(turn)[0] == "Sorry, I did not understand that."
    assert "That sounds like a hardware problem." in heard(turn)


def test_without_items_on_file_the_guess_is_confirmed_on_its_own(make_script):
    script, turn = guessed(make_script, [])

    assert heard(turn) == ["That sounds like a hardware problem. If right, press 1. "
                           "To choose, press 2."]
    turn = advance(script, turn.state, Input(digits="1"))
    assert heard(turn) == ["Say the model."]


def test_a_guess_not_leading_to_a_pick_is_confirmed_on_its_own(make_script):
    script, turn = guessed(make_script, DEVICES, said="The VPN is down")

    assert heard(turn) == ["That sounds like a network problem. If right, press 1. "
                           "To choose, press 2."]


# A guess that leads (through a branch, as if taken) to a keypad menu offers the menu at once.
GUESS_AND_MENU = GUESS_AND_PICK.replace("""    "2":
      next: bye
      set: {category: network}""", """    "2":
      next: vpn_or_not
      set: {category: network}""") + """
vpn_or_not:
  type: branch
  cases:
    - when: {field: problem, words: [vpn]}
      next: self_help
  default: bye
self_help:
  type: menu
  prompt: {en-US: "To hear how to reconnect, press 1. To open a ticket, press 2."}
  options:
    "1": {next: bye, set: {known_issue: vpn}}
    "2": {next: model}
"""


def test_a_guess_leading_to_a_menu_offers_the_menu_at_once(make_script):
    script, turn = guessed(make_script, DEVICES, said="The VPN is down", steps=GUESS_AND_MENU)

    assert heard(turn) == ["That sounds like a network problem.",
                           "To hear how to reconnect, press 1. To open a ticket, press 2.",
                           "For another type of service, press 3."]
    turn = advance(script, turn.state, Input(digits="2"))  # the menu's choice: guess holds
    fields = turn.state["fields"]
    assert fields["category"] == "network" and "known_issue" not in fields
    assert any("(guessed, confirmed)" in log.text for log in logged(turn, "answer"))
    assert heard(turn) == ["Say the model."]


def test_the_key_after_the_menu_refuses_the_guess(make_script):
    script, turn = guessed(make_script, DEVICES, said="The VPN is down", steps=GUESS_AND_MENU)

    turn = advance(script, turn.state, Input(digits="3"))

    assert "category" not in turn.state["fields"]
    assert heard(turn) == ["Hardware, press 1. Network, press 2."]


def test_a_branch_leading_elsewhere_leaves_the_guess_on_its_own(make_script):
    script = make_script(GUESS_AND_MENU, start="problem")
    turn = advance(script, start(script).state,
                   Input(speech="The network is down", confidence=0.9))

    assert heard(turn) == ["That sounds like a network problem. If right, press 1. "
                           "To choose, press 2."]
