"""The shape of a call script: what an admin writes in YAML, as pydantic models."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

# language code -> text, e.g. {"en-US": "Thank you for calling", "it-IT": "Grazie per ..."}
Prompt = dict[str, str]

# Effects are side effects the interpreter asks its host to perform; the host feeds the result back.
EFFECTS = frozenset(
    {"lookup_caller", "check_account", "ticket_status", "verify_pin", "open_ticket",
     "schedule_callback", "record_call",
     # a major incident: what callers hear of it, and linking a caller to it
     "current_incident", "join_incident",
     # a known issue's self-service answer ended the call
     "known_issue_solved",
     # after the tickets are opened: another number to be called back on
     "change_callback",
     # outbound calls (status updates, closure checks and surveys) about the call's ticket
     "stop_status_calls", "add_recording", "closure_answer", "survey_score"}
)
# Pure actions the interpreter performs itself.
PURE_ACTIONS = frozenset({"assess_priority"})


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Language(Strict):
    """A language the line speaks: its TTS voice and how it is offered in the language menu.

    ``countries``: the countries (ISO 3166 codes) whose callers hear it at once, found from
    their caller ID by a language step's ``country``; such a caller is offered the other
    languages by their ``switch`` line and ``switch_key`` at a question marked
    ``offer_languages`` ("For English, press 7.")."""

    voice: str
    label: str
    select: str
    countries: list[str] = []
    switch: str | None = None
    switch_key: str | None = None


class Defaults(Strict):
    """Script-wide fallbacks for steps that take input."""

    retries: int = Field(2, ge=0, le=9)
    timeout: int = Field(6, ge=1, le=60)
    on_fail: str | None = None
    reprompt: Prompt
    no_input: Prompt
    confirm: Prompt
    # Said when a keyed phone number is one the line will not call (invalid, premium rate,
    # another country...); without it, the reprompt.
    number_refused: Prompt | None = None
    phone_region: str = "US"
    # Read back only what may be wrong (a step's read_back): speech heard with less than this
    # confidence, and keyed entries of at least this many digits; never a menu choice.
    read_back_below: float = Field(0.7, ge=0.0, le=1.0)
    read_back_digits: int = Field(7, ge=1, le=64)


class Label(Strict):
    """A priority label with its SLA targets."""

    name: Prompt
    rank: int = Field(ge=1)
    tier: int = Field(1, ge=1, le=3)
    response_minutes: int = Field(ge=1)
    resolution_minutes: int = Field(ge=1)
    update_minutes: int = Field(ge=1)


class Priority(Strict):
    """Impact x urgency matrix mapping the caller's answers to a label."""

    impact_field: str = "impact"
    urgency_field: str = "urgency"
    planned_field: str = "planned"
    planned_value: str = "planned"
    planned_label: str
    default_label: str
    matrix: dict[str, dict[str, str]]
    labels: dict[str, Label]


class Validation(Strict):
    kind: Literal["digits", "phone", "speech", "any"] = "any"
    min_length: int = Field(1, ge=0)
    max_length: int = Field(64, ge=1)
    min_confidence: float = Field(0.0, ge=0.0, le=1.0)


class InputStep(Strict):
    """Common knobs of steps that wait for the caller."""

    prompt: Prompt
    reprompt: Prompt | None = None
    retries: int | None = Field(None, ge=0, le=9)
    timeout: int | None = Field(None, ge=1, le=60)
    on_fail: str | None = None


class SayStep(Strict):
    type: Literal["say"]
    prompt: Prompt
    next: str


class MenuOption(Strict):
    next: str
    set: dict[str, Any] = {}
    # What a caller may say to choose it; a guess step also guesses it from these words.
    words: dict[str, list[str]] = {}
    # How a guess step names it ("That sounds like {guess}"): "a network problem".
    name: Prompt | None = None


class MenuStep(InputStep):
    type: Literal["menu"]
    options: dict[str, MenuOption]
    input: Literal["dtmf", "dtmf speech"] = "dtmf"
    field: str | None = None
    # Other menus a spoken answer may settle at the same time ("just me, I cannot work"):
    # their option named by the same words is taken too (its 'set'), and a branch after this
    # menu can skip a question already answered.
    also: list[str] = []
    # Said instead of the prompt to a caller who answered the question before by voice: the
    # question without its keys ("Who is affected, and can you work?"). An answer not
    # understood, or none, is asked again with the whole prompt, keys and all.
    spoken: Prompt | None = None


class AskStep(InputStep):
    type: Literal["ask"]
    field: str
    input: Literal["dtmf", "speech", "dtmf speech"] = "dtmf"
    validate_: Validation = Field(default_factory=Validation, alias="validate")
    read_back: Prompt | None = None
    skip_key: str | None = None
    # Keys that leave the question for another step instead of answering it ("for a ticket's
    # status, press 1; otherwise, in a few words, what is the problem?").
    keys: dict[str, str] = {}
    hints: dict[str, str] = {}
    # A secret (a PIN): never read back, logged or kept; the action it leads to uses it once.
    secret: bool = False
    # Said instead of the prompt to a caller who answered the question before by voice: the
    # question without its keys ("Its operating system or configuration?"). Asked again, the
    # whole prompt.
    spoken: Prompt | None = None
    # What a caller may say to skip the question, as the skip key does ("I don't know").
    skip_words: dict[str, list[str]] = {}
    # A caller whose language came from their country hears the other languages offered here
    # (each language's switch line) and may switch by key.
    offer_languages: bool = False
    next: str


class PickStep(InputStep):
    """A choice by key from a list the host found (a known caller's equipment): ``prompt`` is
    said for each item, with {item} (its label) and {key}; ``other`` once, with {key}, for
    none of them. Each item is ``{"label": ..., "set": {field: value}}``; the chosen item's
    ``set`` is kept. An empty list goes straight to ``other_next``."""

    type: Literal["pick"]
    items: str
    other: Prompt
    next: str
    other_next: str
    # With 'input: dtmf speech' the caller may say it: an item named by a word of its label
    # ("the ThinkPad") is picked; anything else said clearly is kept in ``other_field`` (the
    # other equipment, named), and the call goes on at ``other_next``, where a branch can skip
    # the question it answers. A caller who answered the question before by voice hears
    # ``other_said`` ("Other equipment? Say which.") instead of ``other``, and with
    # ``spoken`` ("Your {item},") each item without its key: "Your Dell Latitude, or other
    # equipment?" Asked again, the keys.
    input: Literal["dtmf", "dtmf speech"] = "dtmf"
    other_said: Prompt | None = None
    spoken: Prompt | None = None
    other_field: str | None = None


class GuessStep(InputStep):
    """A menu's option guessed from what the caller said (the field ``from``) by its words in
    the call's language, and offered in one prompt ({guess}: the option's ``name``): taken on
    1 or yes, like a choice on the menu; on 2 or no, or with no single best guess, the menu.

    With ``named`` ("That sounds like {guess}.") and ``choose`` ("For another type of service,
    press {key}."), a guessed option that leads (through branches, as if taken) to a pick with
    items, or to a keypad menu of keys 1, 2, ..., offers it at once: the caller confirms the
    guess by choosing from it, or takes the menu by the key after its own."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    type: Literal["guess"]
    menu: str
    from_: str = Field(alias="from")
    named: Prompt | None = None
    choose: Prompt | None = None


class LanguageStep(Strict):
    """The call's language: the one in the field ``known`` (a customer record's), else the
    one of the caller's country (the number in the field ``country``), else ``otherwise`` (a
    step) or, without it, the language menu."""

    type: Literal["language"]
    known: str | None = None
    country: str | None = None
    otherwise: str | None = None
    reprompt: Prompt | None = None
    retries: int | None = Field(None, ge=0, le=9)
    timeout: int | None = Field(None, ge=1, le=60)
    on_fail: str | None = None
    next: str


class Condition(Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    field: str
    equals: Any = None
    not_equals: Any = None
    in_: list[Any] | None = Field(None, alias="in")
    present: bool | None = None
    gt: float | None = None
    # The field's text names one of these words or phrases (whole words, any case): "vpn".
    words: list[str] | None = None


class Case(Strict):
    when: Condition
    next: str


class BranchStep(Strict):
    type: Literal["branch"]
    cases: list[Case]
    default: str


class SetStep(Strict):
    type: Literal["set"]
    values: dict[str, Any] = {}
    clear: list[str] = []
    next: str


class ActionStep(Strict):
    type: Literal["action"]
    do: str
    args: dict[str, str] = {}
    result: str | None = None
    next: str


class RecordStep(Strict):
    """Record the callee's message (after a beep) into a field; silence moves on without one."""

    type: Literal["record"]
    prompt: Prompt
    field: str
    max_length: int = Field(60, ge=1, le=600)
    next: str


class HangupStep(Strict):
    type: Literal["hangup"]
    prompt: Prompt | None = None


class QueueStep(Strict):
    """Hand the caller to the agent queues (the host runs the hold policy from here)."""

    type: Literal["queue"]
    prompt: Prompt | None = None


Step = Annotated[
    SayStep | MenuStep | AskStep | LanguageStep | BranchStep | SetStep | ActionStep | HangupStep
    | QueueStep | RecordStep | PickStep | GuessStep,
    Field(discriminator="type"),
]
STEP_TYPES: dict[str, type[BaseModel]] = {
    "say": SayStep,
    "menu": MenuStep,
    "ask": AskStep,
    "language": LanguageStep,
    "branch": BranchStep,
    "set": SetStep,
    "action": ActionStep,
    "hangup": HangupStep,
    "queue": QueueStep,
    "record": RecordStep,
    "pick": PickStep,
    "guess": GuessStep,
}
INPUT_STEPS = (MenuStep, AskStep, LanguageStep, PickStep, GuessStep)
WAITING_STEPS = (*INPUT_STEPS, RecordStep)  # steps that end a turn waiting for the callee


class Header(Strict):
    """Everything in a script but its steps."""

    name: str
    description: str = ""
    start: str
    default_language: str
    languages: dict[str, Language]
    defaults: Defaults
    words: dict[str, Prompt] = {}
    # A count said through the language's plural rules (CLDR, from Babel):
    # {open_count:plural:open_tickets} with open_tickets: {it-IT: {one: ..., other: ...}}.
    plurals: dict[str, dict[str, dict[str, str]]] = {}
    priority: Priority | None = None


class Script(Header):
    """A validated script, ready for the interpreter."""

    source: str = "<script>"
    steps: dict[str, Any]

    def step(self, name: str) -> Any:
        return self.steps[name]

    def voice(self, language: str) -> str:
        return self.languages[language].voice

    @property
    def secret_fields(self) -> frozenset[str]:
        """The fields of answers the script marks secret."""
        return secret_fields(self.steps)


def secret_fields(steps: dict[str, Any]) -> frozenset[str]:
    """The fields of the steps' secret answers."""
    return frozenset(s.field for s in steps.values() if isinstance(s, AskStep) and s.secret)


def targets(step: Any) -> list[str]:
    """Every step name this step can lead to."""
    out: list[str] = []
    if isinstance(step, (SayStep, AskStep, LanguageStep, SetStep, ActionStep, RecordStep)):
        out.append(step.next)
    if isinstance(step, AskStep):
        out.extend(step.keys.values())
    if isinstance(step, LanguageStep) and step.otherwise:
        out.append(step.otherwise)
    if isinstance(step, MenuStep):
        out.extend(o.next for o in step.options.values())
    if isinstance(step, PickStep):
        out.extend((step.next, step.other_next))
    if isinstance(step, GuessStep):
        out.append(step.menu)
    if isinstance(step, BranchStep):
        out.extend(c.next for c in step.cases)
        out.append(step.default)
    on_fail = getattr(step, "on_fail", None)
    if on_fail:
        out.append(on_fail)
    return out


def prompts(step: Any) -> list[tuple[str, Prompt]]:
    """Every prompt a step holds, with a name for error messages."""
    out: list[tuple[str, Prompt]] = []
    for attr in ("prompt", "spoken", "reprompt", "read_back", "other", "other_said", "named",
                 "choose"):
        value = getattr(step, attr, None)
        if value is not None:
            out.append((attr, value))
    return out
