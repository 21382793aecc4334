"""Speech first (issue 18): a caller who answered the question before by voice hears a menu
without its keys (its ``spoken`` prompt) and may say which other equipment it is at a pick;
the keys come back whenever an answer is not understood."""

import pytest

from call_scripts import Gather, Input, ScriptError, advance, start

from .test_fewer_questions import GUESS_AND_MENU, guessed
from .test_interpreter import heard, logged

STEPS = """
problem:
  type: ask
  field: problem
  input: speech
  validate: {kind: speech, min_length: 3}
  prompt: {en-US: "What is wrong?"}
  next: equipment
equipment:
  type: pick
  items: devices
  input: dtmf speech
  prompt: {en-US: "Your {item}, press {key}."}
  other: {en-US: "Other equipment, {key}."}
  other_said: {en-US: "Other equipment? Say which."}
  other_field: equipment
  next: impact
  other_next: equipment_known
equipment_known:
  type: branch
  cases:
    - when: {field: equipment, present: true}
      next: impact
  default: ask_equipment
ask_equipment:
  type: ask
  field: equipment
  input: dtmf speech
  prompt: {en-US: "Its model?"}
  next: impact
impact:
  type: menu
  input: dtmf speech
  prompt: {en-US: "Who is affected? Just you, press 1; your team, 2."}
  spoken: {en-US: "Who is affected?"}
  options:
    "1": {next: bye, set: {impact: me}, words: {en-US: [just me]}}
    "2": {next: bye, set: {impact: team}, words: {en-US: [team]}}
bye:
  type: hangup
  prompt: {en-US: Goodbye.}
"""

DEVICES = [{"label": "Lenovo ThinkPad T14", "set": {"equipment": "A-2001"}},
           {"label": "HP LaserJet M404", "set": {"equipment": "A-1001"}}]


@pytest.fixture
def script(make_script):
    return make_script(STEPS, start="problem", on_fail="bye")


def at_the_pick(script, said=True):
    """The problem said, then at the pick of equipment on file."""
    turn = start(script, {"devices": DEVICES})
    return advance(script, turn.state, Input(speech="It is broken", confidence=0.9))


def gathered(turn) -> Gather:
    [gather] = [a for a in turn.actions if isinstance(a, Gather)]
    return gather


def test_a_menu_after_a_spoken_answer_is_asked_without_its_keys(script):
    turn = advance(script, at_the_pick(script).state, Input(digits="1"))  # keyed: the keys
    assert heard(turn) == ["Who is affected? Just you, press 1; your team, 2."]

    turn = at_the_pick(script)
    turn = advance(script, turn.state, Input(speech="The router", confidence=0.9))  # said
    assert heard(turn) == ["Who is affected?"]
    assert gathered(turn).input == "dtmf speech"  # a key still answers it
    done = advance(script, turn.state, Input(speech="my whole team", confidence=0.9))
    assert done.state["fields"]["impact"] == "team"


def test_a_spoken_answer_not_understood_brings_the_keys_back(script):
    turn = advance(script, at_the_pick(script).state, Input(speech="The router", confidence=0.9))
    again = advance(script, turn.state, Input(speech="pardon?", confidence=0.9))
    assert heard(again)[-1] == "Who is affected? Just you, press 1; your team, 2."
    silent = advance(script, turn.state, Input())
    assert heard(silent)[-1] == "Who is affected? Just you, press 1; your team, 2."


def test_a_pick_after_a_spoken_answer_asks_for_the_other_one_by_voice(script):
    turn = at_the_pick(script)
    assert heard(turn) == ["Your Lenovo ThinkPad T14, press 1.", "Your HP LaserJet M404, press 2.",
                           "Other equipment? Say which."]
    assert gathered(turn).input == "dtmf speech"

    again = advance(script, turn.state, Input(digits="9"))  # no such key: asked with the keys
    assert heard(again)[-1] == "Other equipment, 3."
    assert advance(script, again.state, Input(digits="3")).state["step"] == "ask_equipment"


def test_other_equipment_said_clearly_is_kept_and_its_question_skipped(script):
    turn = advance(script, at_the_pick(script).state, Input(speech="the router", confidence=0.9))
    assert turn.state["fields"]["equipment"] == "the router"
    assert "Its model?" not in heard(turn)
    [answer] = logged(turn, "answer")
    assert answer.data["field"] == "equipment" and answer.data["input"] == "speech"


def test_other_equipment_said_unclearly_is_asked_for(script):
    turn = advance(script, at_the_pick(script).state, Input(speech="the rooter", confidence=0.3))
    assert "equipment" not in turn.state["fields"]
    assert heard(turn) == ["Its model?"]


def test_an_item_named_by_a_word_of_its_label_is_picked(script):
    turn = advance(script, at_the_pick(script).state,
                   Input(speech="my thinkpad", confidence=0.9))
    assert turn.state["fields"]["equipment"] == "A-2001"
    assert heard(turn) == ["Who is affected?"]


def test_two_items_named_are_asked_again_with_the_keys(script):
    turn = advance(script, at_the_pick(script).state,
                   Input(speech="the thinkpad and the laserjet", confidence=0.9))
    assert "equipment" not in turn.state["fields"]
    assert heard(turn)[-1] == "Other equipment, 3."


def test_a_spoken_prompt_where_no_speech_is_heard_is_refused(make_script):
    keys_only = STEPS.replace('  input: dtmf speech\n  prompt: {en-US: "Who is affected?',
                              '  input: dtmf\n  prompt: {en-US: "Who is affected?')
    with pytest.raises(ScriptError) as err:
        make_script(keys_only, start="problem", on_fail="bye")
    assert "impact" in str(err.value) and "spoken: the menu takes keys only" in str(err.value)


def test_a_pick_said_by_voice_names_the_field_it_keeps(make_script):
    nowhere = STEPS.replace("  other_field: equipment\n", "")
    with pytest.raises(ScriptError) as err:
        make_script(nowhere, start="problem", on_fail="bye")
    assert "equipment" in str(err.value)
    assert "a pick said by voice needs other_field" in str(err.value)


def test_other_said_on_a_pick_that_takes_keys_only_is_refused(make_script):
    keys_only = STEPS.replace("  items: devices\n  input: dtmf speech\n", "  items: devices\n")
    with pytest.raises(ScriptError) as err:
        make_script(keys_only, start="problem", on_fail="bye")
    assert "other_said: the pick takes keys only" in str(err.value)


# A guess offered with a self-service menu that takes speech: "open a ticket" said confirms
# the guess and takes the option; words naming no option are asked again.
GUESS_AND_SPOKEN_MENU = GUESS_AND_MENU.replace(
    '''self_help:
  type: menu
''', '''self_help:
  type: menu
  input: dtmf speech
''').replace('''    "1": {next: bye, set: {known_issue: vpn}}
    "2": {next: model}''', '''    "1": {next: bye, set: {known_issue: vpn},
          words: {en-US: [reconnect]}}
    "2": {next: model, words: {en-US: [ticket]}}''')


def test_a_menu_offered_with_the_guess_may_be_answered_by_voice(make_script):
    script, turn = guessed(make_script, DEVICES, said="The VPN is down",
                           steps=GUESS_AND_SPOKEN_MENU)
    assert gathered(turn).input == "dtmf speech"

    opened = advance(script, turn.state, Input(speech="open a ticket please", confidence=0.9))
    assert opened.state["fields"]["category"] == "network"  # the guess holds
    assert "known_issue" not in opened.state["fields"]
    assert heard(opened) == ["Say the model."]

    unclear = advance(script, turn.state, Input(speech="what?", confidence=0.9))
    assert "category" not in unclear.state["fields"]
    assert heard(unclear)[-1] == "For another type of service, press 3."  # asked again


def test_a_menu_offered_with_the_guess_that_takes_keys_only_is_not_listened_to(make_script):
    _, turn = guessed(make_script, DEVICES, said="The VPN is down", steps=GUESS_AND_MENU)
    assert gathered(turn).input == "dtmf"


# A pick whose items are said without keys to a caller who spoke ("Your Lenovo ThinkPad T14,
# or other equipment?"), and a question they may skip by saying so.
SAID_PICK = STEPS.replace('''  other_said: {en-US: "Other equipment? Say which."}''',
                          '''  spoken: {en-US: "Your {item},"}
  other_said: {en-US: "or other equipment?"}''').replace('''  prompt: {en-US: "Its model?"}
  next: impact''', '''  prompt: {en-US: "Its model? If unknown, press star."}
  spoken: {en-US: "Its model?"}
  skip_key: "*"
  skip_words: {en-US: ["don't know", not sure]}
  next: impact''')


YES_NO = 'words:\n  "yes": {en-US: "yes"}\n  "no": {en-US: "no"}\n'


def test_a_pick_after_a_spoken_answer_names_its_items_without_keys(make_script):
    script = make_script(SAID_PICK, start="problem", on_fail="bye", extra=YES_NO)
    turn = at_the_pick(script)
    assert heard(turn) == ["Your Lenovo ThinkPad T14,", "Your HP LaserJet M404,",
                           "or other equipment?"]
    again = advance(script, turn.state, Input(speech="the thinkpad and the laserjet",
                                              confidence=0.9))
    assert heard(again)[-3:] == ["Your Lenovo ThinkPad T14, press 1.",
                                 "Your HP LaserJet M404, press 2.", "Other equipment, 3."]


def test_yes_to_the_one_item_offered_by_voice_picks_it(make_script):
    script = make_script(SAID_PICK, start="problem", on_fail="bye", extra=YES_NO)
    turn = start(script, {"devices": DEVICES[:1]})
    turn = advance(script, turn.state, Input(speech="It is broken", confidence=0.9))
    assert heard(turn) == ["Your Lenovo ThinkPad T14,", "or other equipment?"]
    picked = advance(script, turn.state, Input(speech="yes", confidence=0.9))
    assert picked.state["fields"]["equipment"] == "A-2001"  # not equipment "yes"
    # "yes" where two were offered says neither: asked again with the keys
    turn = at_the_pick(script)
    again = advance(script, turn.state, Input(speech="yes", confidence=0.9))
    assert "equipment" not in again.state["fields"]
    assert heard(again)[-1] == "Other equipment, 3."


def test_no_to_the_items_offered_by_voice_asks_for_the_other_one(make_script):
    script = make_script(SAID_PICK, start="problem", on_fail="bye", extra=YES_NO)
    turn = advance(script, at_the_pick(script).state, Input(speech="no", confidence=0.9))
    assert "equipment" not in turn.state["fields"]  # not equipment "no"
    assert heard(turn) == ["Its model?"]  # the caller spoke: asked without the skip key
    named = advance(script, at_the_pick(script).state,
                    Input(speech="no, the router in the hall", confidence=0.9))
    assert named.state["fields"]["equipment"] == "no, the router in the hall"


def test_a_question_is_skipped_by_saying_so(make_script):
    script = make_script(SAID_PICK, start="problem", on_fail="bye", extra=YES_NO)
    turn = advance(script, at_the_pick(script).state, Input(speech="no", confidence=0.9))
    skipped = advance(script, turn.state, Input(speech="I don't know", confidence=0.9))
    assert skipped.state["fields"]["equipment"] is None
    assert [log.text for log in logged(skipped, "answer")] == ["equipment: skipped"]
    assert heard(skipped) == ["Who is affected?"]
    keyed = advance(script, turn.state, Input(digits="*"))  # the key still skips it
    assert keyed.state["fields"]["equipment"] is None
    # asked again (an answer too short), the whole prompt with its key
    again = advance(script, turn.state, Input(speech="", confidence=0.9))
    assert heard(again)[-1] == "Its model? If unknown, press star."


@pytest.mark.parametrize("change,message", [
    (("  input: dtmf speech\n  prompt: {en-US: \"Its model? If",
      "  input: dtmf\n  prompt: {en-US: \"Its model? If"),
     "spoken: the question takes keys only"),
    (("  spoken: {en-US: \"Its model?\"}\n", ""), None),
    (("  other_said: {en-US: \"or other equipment?\"}\n", ""),
     "spoken: items said without keys need other_said"),
    (("skip_words: {en-US:", "skip_words: {xx-XX:"), "skip_words for unknown language 'xx-XX'"),
])
def test_spoken_questions_and_skip_words_the_caller_could_not_use_are_refused(
        make_script, change, message):
    steps = SAID_PICK.replace(*change)
    if message is None:  # no spoken prompt: still refused where no speech is heard
        steps = steps.replace("  input: dtmf speech\n  prompt: {en-US: \"Its model? If",
                              "  input: dtmf\n  prompt: {en-US: \"Its model? If")
        message = "skip_words: the question takes keys only"
    with pytest.raises(ScriptError) as err:
        make_script(steps, start="problem", on_fail="bye", extra=YES_NO)
    assert message in str(err.value)
