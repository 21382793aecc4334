"""What an admin editing a script is told: every problem names the file, the line and the step."""

import pytest

from call_scripts import ScriptError, load_file, parse, shipped_scripts

PRIORITY = """
priority:
  planned_label: planned
  default_label: normal
  matrix:
    me:
      works: normal
      blocked: urgnet
  labels:
    normal:
      name: {en-US: normal}
      rank: 2
      response_minutes: 60
      resolution_minutes: 480
      update_minutes: 240
    planned:
      name: {en-US: planned}
      rank: 3
      response_minutes: 600
      resolution_minutes: 4800
      update_minutes: 2400
"""


def the_problem(text: str):
    """The one problem parsing this text reports."""
    with pytest.raises(ScriptError) as err:
        parse(text, source="admin.yaml")
    assert len(err.value.problems) == 1, err.value.problems
    return err.value.problems[0]


def line_of(text: str, needle: str) -> int:
    """The (1-based) line of the text holding needle, which must be on exactly one line."""
    found = [n for n, line in enumerate(text.splitlines(), start=1) if needle in line]
    assert len(found) == 1, (needle, found)
    return found[0]


def reported_at(text: str, needle: str, step: str | None = None) -> str:
    """How a problem on the line holding needle starts, as the admin reads it."""
    prefix = f"admin.yaml:{line_of(text, needle)}:"
    return f"{prefix} step '{step}':" if step else prefix


def test_minimal_script_is_valid(script_text):
    script = parse(script_text(), source="admin.yaml")

    assert script.source == "admin.yaml"
    assert list(script.steps) == ["hello", "bye"]


def test_unknown_step_type_lists_the_expected_types(script_text):
    text = script_text("""
        hello:
          type: shout
          prompt: {en-US: Hello.}
          next: bye
        bye:
          type: hangup
    """)

    problem = the_problem(text)

    assert str(problem).startswith(reported_at(text, "type: shout", "hello"))
    assert "unknown step type 'shout'" in problem.message
    assert "say, menu, ask, language, branch, set, action, hangup" in problem.message


def test_next_naming_a_missing_step_names_it(script_text):
    text = script_text("""
        hello:
          type: say
          prompt: {en-US: Hello.}
          next: goodby
        bye:
          type: hangup
    """)

    problem = the_problem(text)

    assert str(problem).startswith(reported_at(text, "next: goodby", "hello"))
    assert "does not exist: 'goodby'" in problem.message


def test_step_no_path_leads_to_is_unreachable(script_text):
    text = script_text("""
        hello:
          type: say
          prompt: {en-US: Hello.}
          next: bye
        orphan:
          type: say
          prompt: {en-US: Nobody hears this.}
          next: bye
        bye:
          type: hangup
    """)

    problem = the_problem(text)

    assert str(problem).startswith(reported_at(text, "orphan:", "orphan"))
    assert "unreachable" in problem.message


def test_prompt_missing_a_declared_language(script_text):
    text = script_text(
        """
        hello:
          type: say
          prompt:
            en-US: Hello.
          next: bye
        bye:
          type: hangup
        """,
        languages=("en-US", "it-IT"),
    )

    problem = the_problem(text)

    assert str(problem).startswith(reported_at(text, "    prompt:", "hello"))
    assert "prompt is missing language(s): it-IT" in problem.message


def test_loop_that_never_takes_input(script_text):
    text = script_text("""
        hello:
          type: say
          prompt: {en-US: Hello.}
          next: check
        check:
          type: branch
          cases:
            - when: {field: done, present: true}
              next: bye
          default: hello
        bye:
          type: hangup
    """)

    problem = the_problem(text)

    assert str(problem).startswith(reported_at(text, "check:", "check"))
    assert "loop that never takes input: check -> hello -> check" in problem.message


def test_input_step_without_a_way_out(script_text):
    text = script_text(
        """
        main:
          type: menu
          prompt: {en-US: Press 1 to leave.}
          options:
            "1": {next: bye}
        bye:
          type: hangup
        """,
        start="main",
        on_fail=None,
    )

    problem = the_problem(text)

    assert str(problem).startswith(reported_at(text, "main:", "main"))
    assert "no way out" in problem.message


def test_invalid_yaml_names_the_line(script_text):
    text = script_text("""
        hello:
          type: say
          prompt: en-US: Hello.
          next: bye
        bye:
          type: hangup
    """)

    problem = the_problem(text)

    assert str(problem).startswith(reported_at(text, "prompt: en-US: Hello."))
    assert "not valid YAML" in problem.message


def test_field_error_points_at_the_field_in_its_step(script_text):
    text = script_text(
        """
        main:
          type: menu
          prompt: {en-US: Press 1 to leave.}
          retries: -1
          options:
            "1": {next: bye}
        bye:
          type: hangup
        """,
        start="main",
    )

    problem = the_problem(text)

    assert str(problem).startswith(reported_at(text, "retries: -1", "main"))
    assert problem.message.startswith("retries:")
    assert "greater than or equal to 0" in problem.message


def test_priority_matrix_naming_an_unknown_label(script_text):
    text = script_text(extra=PRIORITY)

    problem = the_problem(text)

    assert str(problem).startswith(reported_at(text, "blocked: urgnet"))
    assert "priority.matrix[me][blocked] names unknown label 'urgnet'" in problem.message


def test_load_file_names_the_file(tmp_path, script_text):
    path = tmp_path / "support-line.yaml"
    path.write_text(script_text(start="helo"), encoding="utf-8")

    with pytest.raises(ScriptError) as err:
        load_file(path)

    assert "support-line.yaml:2: start step 'helo' does not exist" in str(err.value)


def test_shipped_intake_loads_without_problems():
    script = load_file(shipped_scripts()["intake"])

    assert script.source == "intake.yaml"
    assert script.start == "identify_caller"  # who calls, before a word is said
    assert "en-US" in script.languages and len(script.languages) >= 1


SECRET = """
ask_pin:
  type: ask
  field: pin
  secret: true
  validate: {kind: digits}
  prompt: {en-US: Key your PIN.}
  next: check
check:
  type: action
  do: verify_pin
  args: {pin: pin}
  result: status
  next: bye
bye:
  type: hangup
  prompt: {en-US: Goodbye.}
"""


def test_a_secret_answer_is_valid_when_its_action_uses_it_straight_away(script_text):
    script = parse(script_text(SECRET, start="ask_pin"), source="admin.yaml")

    assert script.secret_fields == {"pin"}


@pytest.mark.parametrize(("change", "needle", "message"), [
    (("  prompt: {en-US: Key your PIN.}\n",
      "  prompt: {en-US: Key your PIN.}\n  read_back: {en-US: 'I have {value}.'}\n"),
     "read_back:", "secret answer 'pin' is never read back"),
    (("  prompt: {en-US: Goodbye.}", "  prompt: {en-US: 'Goodbye. Your PIN was {pin}.'}"),
     "Your PIN was", "says secret answer(s) pin"),
    (("  next: check\n", "  next: wait\nwait:\n  type: say\n  prompt: {en-US: One moment.}\n"
                         "  next: check\n"),
     "next: wait", "must lead straight ('next') to the action that uses it"),
])
def test_a_secret_answer_is_never_read_back_said_or_kept_between_steps(
        script_text, change, needle, message):
    text = script_text(SECRET.replace(*change), start="ask_pin")

    problem = the_problem(text)

    assert message in problem.message
    assert str(problem).startswith(reported_at(text, needle, problem.step))


# ---- languages heard at once by callers from their countries -----------------------------

def shipped_intake_text() -> str:
    return shipped_scripts()["intake"].read_text(encoding="utf-8")


@pytest.mark.parametrize(("before", "after", "says"), [
    ("countries: [MY, BN]", "countries: [MY, IT]", "countries: 'IT' is already it-IT's"),
    ("countries: [MY, BN]", "countries: [MY, XX]", "countries: 'XX' is not a country code"),
    ('switch: Untuk Bahasa Melayu, tekan 9.\n    switch_key: "9"',
     'switch: Untuk Bahasa Melayu, tekan 8.\n    switch_key: "8"  # taken',
     "switch_key: '8' is it-IT's already"),
    ("switch: Untuk Bahasa Melayu, tekan 9.", "switch: Untuk Bahasa Melayu, tekan 6.",
     "switch does not say its key '9'"),
])
def test_a_country_or_switch_key_that_cannot_work_names_its_line(before, after, says):
    text = shipped_intake_text().replace(before, after, 1)
    problem = str(the_problem(text))
    needle = after.splitlines()[-1].strip()
    assert problem.startswith(f"{reported_at(text, needle)} languages.ms-MY."), problem
    assert says in problem


def test_a_switch_key_that_is_also_a_key_of_the_question_offering_it_is_refused():
    text = shipped_intake_text().replace('switch_key: "7"', 'switch_key: "1"', 1).replace(
        "switch: For English, press 7.", "switch: For English, press 1.", 1)
    with pytest.raises(ScriptError) as err:
        parse(text, source="admin.yaml")
    said = [str(p) for p in err.value.problems]
    assert any("step 'new_caller'" in p and "key '1' is en-US's and this question's" in p
               for p in said), said
