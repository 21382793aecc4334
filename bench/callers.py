"""Scripted callers for the benchmarks: they answer by what the line asks, not by step order.

A caller hears the prompt of the current <Gather> (its <Say>s), finds what is asked by
keywords in the caller's language (the INTENTS table of bench/caller_answers.py, checked in
order), and answers from its Persona (DECIDE below: how each intent is answered):
- a menu by the option whose words name what the caller wants ("... just you, press 1"), with
  speech instead where the <Gather> listens for speech and the persona speaks its choices;
  a menu answer in speech the line did not take is given again by key;
- a question by speech (name, problem, ...) or keys (account, licence, ...).
So when the intake is shortened or re-ordered the callers still get through, as long as a
prompt still says what it asks. A prompt no rule recognises stops the caller (`stuck`).

Used by bench/http_load.py and bench/call_length.py (and to bring one real caller onto hold
in bench/hold_scaling.py). It drives ivr.phone.Phone, the phone the tests and `flask ivr call`
use, over whatever transport the benchmark gives it.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field

from caller_answers import BOTH_ASKED, CHOICES, DOING_ASKED, INTENTS, SAID

LANGUAGES = ("en-US", "it-IT", "ms-MY")
LABEL = {"en-US": "English", "it-IT": "Italian", "ms-MY": "Malay"}

# Transport of ivr.phone: (url, form, headers) -> (HTTP status, body)
Transport = Callable[[str, dict[str, str], dict[str, str]], tuple[int, str]]


@dataclass(frozen=True)
class Problem:
    """One problem a caller reports (one ticket)."""

    category: str  # hardware | software | network | access | other
    text: str  # the problem, in the caller's words
    before: str  # what they were doing when it started
    impact: str  # me | team | organisation
    urgency: str  # works | impaired | blocked
    equipment: str | None = None  # the model, said
    asset_tag: str | None = None  # keyed instead of the model by a keypad caller
    licence: str | None = None  # software: the licence number, keyed
    configuration: str | None = None
    planned: bool = False


@dataclass(frozen=True)
class Persona:
    label: str
    language: str  # en-US | it-IT | ms-MY
    caller_id: str | None  # None: number withheld
    problems: tuple[Problem, ...]
    known: bool = False  # a customer on file with this caller ID
    keypad: bool = True  # choices by keypad; False: said where the line listens for speech
    name: str = ""
    department: str = ""
    location: str = ""
    account: str | None = None  # None: "I do not know it" (the skip key)
    callback: str | None = None  # the number keyed when asked for one (national digits)
    # the ticket's callback number when not the caller ID: a number on file the line may call
    called_back_on: str | None = None
    queue: str = "hangup"  # at the queues: hold | callback | hangup


# ---- what a prompt asks ---------------------------------------------------------------------

KEY_WORDS = r"(?:press|prema|tekan)"


def _norm(text: str) -> str:
    return " ".join(text.replace("\u2019", "'").lower().split())


def _has(text: str, words: tuple[str, ...]) -> bool:
    return any(re.search(rf"(?<!\w){re.escape(w)}(?!\w)", text) for w in words)


def _words(table: dict[str, tuple[str, ...]], language: str) -> tuple[str, ...]:
    return table.get(language, ()) + table.get("*", ())


def intent_of(prompt: str, language: str) -> str | None:
    text = _norm(prompt)
    for intent, table in INTENTS:
        if _has(text, _words(table, language)):
            return intent
    return None


def menu_options(prompt: str) -> list[tuple[str, str]]:
    """(description, key) of each "..., press N" in a prompt, sentence by sentence; the
    description is the text before the key, or after it when nothing comes before. After a
    "press N", a clause "...; your team, 2" offers key 2 ("press" said once), in that sentence
    and the ones after it ("Your team, 4; everyone, 5.")."""
    options, pressed = [], False
    for sentence in re.split(r"(?<=[.?!])\s+", _norm(prompt)):
        matches = list(re.finditer(rf"\b{KEY_WORDS}\s+(\d)", sentence))
        if not matches and pressed:  # "... press 1; ... 3. Your team, 4; everyone, 5."
            for clause in sentence.split(";"):
                short = re.fullmatch(r"\s*(.*?),?\s+(\d)[.?!]?\s*", clause)
                if short:
                    options.append((short.group(1).strip(" ,:"), short.group(2)))
            continue
        pressed = pressed or bool(matches)
        for i, m in enumerate(matches):
            start = matches[i - 1].end() if i else 0
            before = sentence[start:m.start()].strip(" ,;:")
            end = matches[i + 1].start() if i + 1 < len(matches) else len(sentence)
            options.append((before or sentence[m.end():end], m.group(1)))
        if matches:
            for clause in sentence[matches[-1].end():].split(";")[1:]:
                short = re.fullmatch(r"\s*(.*?),?\s+(\d)[.?!]?\s*", clause)
                if short:
                    options.append((short.group(1).strip(" ,:"), short.group(2)))
    return options


def choose(prompt: str, want: str, language: str) -> str | None:
    """The key of the option the caller wants, or None if no option names it."""
    words = _words(CHOICES[want], language)
    for description, key in menu_options(prompt):
        if _has(description, words):
            return key
    return None


def gather_text(body: str) -> str:
    """The words of the last <Gather> of a TwiML document (the question being asked)."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return ""
    gathers = list(root.iter("Gather"))
    if not gathers:
        return ""
    return " ".join((say.text or "").strip() for say in gathers[-1].iter("Say"))


# ---- one scripted call ----------------------------------------------------------------------

@dataclass
class Answer:
    intent: str
    how: str  # key | speech
    value: str


@dataclass
class ScriptedCall:
    """A persona on the line: call answer() until it returns None (done, in a queue, hung up
    or stuck). The phone is an ivr.phone.Phone whose transport passes through `ear`."""

    phone: object
    persona: Persona
    ear: Ear
    answers: list[Answer] = field(default_factory=list)
    stuck: str | None = None  # the prompt nobody could answer
    problem_index: int = 0
    _last: Answer | None = None
    _repeats: int = 0

    @property
    def problem(self) -> Problem:
        return self.persona.problems[min(self.problem_index, len(self.persona.problems) - 1)]

    def answer(self) -> Answer | None:
        """Answer the prompt the phone is waiting on; None when there is nothing to answer."""
        phone = self.phone
        if phone.hung_up or phone.in_queue or phone.prompt is None:  # type: ignore[attr-defined]
            return None
        prompt = gather_text(self.ear.last_body) or phone.text  # type: ignore[attr-defined]
        language = self.language()
        intent = intent_of(prompt, language)
        if intent is None:
            self.stuck = prompt
            return None
        again = self._last is not None and self._last.intent == intent
        self._repeats = self._repeats + 1 if again else 0
        if self._repeats > 3:
            self.stuck = prompt
            return None
        speech_ok = "speech" in (phone.prompt.input or "")  # type: ignore[attr-defined]
        # A spoken choice the line did not take is given again by key.
        by_key = self.persona.keypad or not speech_ok or (again and self._last.how == "speech")
        # A choice asked with no keys ("Who is affected, and can you work?") is answered by
        # voice, by a caller who would key it otherwise too.
        if speech_ok and intent in CHOICE_INTENTS and not menu_options(prompt):
            by_key = False
        answer = self._decide(intent, prompt, language, by_key, speech_ok)
        if answer is None:
            self.stuck = prompt
            return None
        if answer.how == "hangup":
            phone.hang_up()  # type: ignore[attr-defined]
        elif answer.how == "speech":
            phone.speak(answer.value)  # type: ignore[attr-defined]
        else:
            phone.press(answer.value)  # type: ignore[attr-defined]
        self.answers.append(answer)
        self._last = answer
        return answer

    def language(self) -> str:
        prompt = self.phone.prompt  # type: ignore[attr-defined]
        lang = prompt.language if prompt is not None else None
        return lang if lang in LANGUAGES else self.persona.language

    def _decide(self, intent: str, prompt: str, language: str, by_key: bool,
                speech_ok: bool) -> Answer | None:
        handler = DECIDE.get(intent)
        if handler is None:
            return None
        return handler(Ask(self, intent, prompt, language, by_key, speech_ok))


# ---- how each intent is answered ------------------------------------------------------------

@dataclass
class Ask:
    """One prompt to answer: what it asks, and how the caller may answer it."""

    call: ScriptedCall
    intent: str
    prompt: str
    language: str
    by_key: bool
    speech_ok: bool

    @property
    def persona(self) -> Persona:
        return self.call.persona

    @property
    def problem(self) -> Problem:
        return self.call.problem

    def pick(self, want: str) -> Answer | None:
        if not self.by_key and want in SAID:
            return Answer(self.intent, "speech", SAID[want][self.language])
        key = choose(self.prompt, want, self.language)
        return Answer(self.intent, "key", key) if key else None

    def say(self, text: str) -> Answer:
        return Answer(self.intent, "speech", text)

    def keys(self, digits: str) -> Answer:
        return Answer(self.intent, "key", digits)

    def key_for(self, want: str) -> Answer | None:
        key = choose(self.prompt, want, self.language)
        return self.keys(key) if key else None

    def hears(self, table: dict[str, tuple[str, ...]]) -> bool:
        return _has(_norm(self.prompt), _words(table, self.language))


def _pick_item(ask: Ask) -> Answer | None:
    """The caller's own item on offer, else "other"; a guess offered with the items that
    names another type of service than the caller's is refused."""
    pr = ask.problem
    if ask.hears(CHOICES["another_service"]) and not ask.hears(CHOICES[pr.category]):
        return ask.key_for("another_service")
    mine = [v.lower() for v in (pr.equipment, pr.asset_tag, pr.licence) if v]
    for description, key in menu_options(ask.prompt):
        if any(v in description for v in mine):
            return ask.keys(key)
    if ask.speech_ok and not menu_options(ask.prompt):  # "Your Dell Latitude, or other?"
        named = next((v for v in mine if v in _norm(ask.prompt)), None)
        if named or pr.equipment:
            return ask.say(named or pr.equipment or "")
    if not ask.by_key and pr.equipment and ask.hears(CHOICES["say_other"]):
        return ask.say(pr.equipment)  # "Other equipment? Say which."
    return ask.key_for("other_item")


def _guess(ask: Ask) -> Answer | None:
    """Right when the guess names the caller's type of service."""
    right = ask.hears(CHOICES[ask.problem.category])
    if not ask.by_key:
        return Answer(ask.intent, "speech", SAID["yes" if right else "no"][ask.language])
    return ask.pick("yes") if right else ask.pick("refuse_guess")


def _known_issue(ask: Ask) -> Answer | None:
    """A ticket, not the answer on offer: "no" where it is asked without keys ("Would you
    like to reset your password yourself?"), else the option that opens one."""
    if not ask.by_key and not menu_options(ask.prompt):
        return ask.say(SAID["no"][ask.language])
    return ask.pick("open_ticket")


def _problem(ask: Ask) -> Answer | None:
    """The problem in the caller's words, and what they were doing when it started where the
    question asks that too."""
    pr = ask.problem
    return ask.say(f"{pr.text}, {pr.before}" if ask.hears(DOING_ASKED) else pr.text)


def _another_problem(ask: Ask) -> Answer | None:
    more = ask.call.problem_index + 1 < len(ask.persona.problems)
    if more:
        ask.call.problem_index += 1
    return ask.pick("yes" if more else "no")


def _equipment(ask: Ask) -> Answer | None:
    pr = ask.problem
    if pr.asset_tag and (ask.by_key or not ask.speech_ok):
        return ask.keys(pr.asset_tag)
    if pr.equipment and ask.speech_ok:
        return ask.say(pr.equipment)
    return ask.keys(pr.asset_tag or "*")


def _configuration(ask: Ask) -> Answer | None:
    pr = ask.problem
    return ask.say(pr.configuration) if pr.configuration and ask.speech_ok else ask.keys("*")


def _impact(ask: Ask) -> Answer | None:
    """Who is affected; a spoken answer says whether they can work too ("my team, with
    difficulty"), and a caller affected alone keys whether they can work where the same
    menu offers that ("just you, working normally, press 1; with difficulty, 2; ...")."""
    pr, language = ask.problem, ask.language
    if pr.planned:
        return ask.pick("planned")
    both = ask.hears(BOTH_ASKED) or (pr.impact == "me" and ask.hears(CHOICES[pr.urgency]))
    if both and not ask.by_key:
        return ask.say(f"{SAID[pr.impact][language]}, {SAID[pr.urgency][language]}")
    if pr.impact == "me" and ask.hears(CHOICES[pr.urgency]):
        return ask.key_for(pr.urgency)
    return ask.pick(pr.impact)


def _hold_offer(ask: Ask) -> Answer | None:
    queue = ask.persona.queue
    if queue == "hangup":
        return Answer(ask.intent, "hangup", "")
    return ask.pick("hold" if queue == "hold" else "callback")


def _offline(ask: Ask) -> Answer | None:
    if ask.persona.queue == "hangup":
        return Answer(ask.intent, "hangup", "")
    return ask.pick("callback")


# the intents that are choices from a list, keyed where the list is read out
CHOICE_INTENTS = frozenset({"guess", "service_type", "impact", "urgency", "planned",
                            "known_issue"})

# intent -> how the caller answers it (an intent not here: the caller is stuck)
DECIDE: dict[str, Callable[[Ask], Answer | None]] = {
    "language": lambda ask: ask.pick(f"lang:{ask.persona.language}"),
    "pick": _pick_item,
    "guess": _guess,
    "confirm": lambda ask: ask.pick("yes"),
    "callback_menu": lambda ask: ask.pick("yes"),
    "location_confirm": lambda ask: ask.pick("yes"),
    "new_problem": lambda ask: ask.pick("new_problem"),
    "known_issue": _known_issue,
    "another_problem": _another_problem,
    "name": lambda ask: ask.say(ask.persona.name),
    "department": lambda ask: ask.say(ask.persona.department),
    "location": lambda ask: ask.say(ask.persona.location),
    "callback_key": lambda ask: ask.keys(ask.persona.callback or "2025550100"),
    "account": lambda ask: ask.keys(ask.persona.account or "*"),
    "service_type": lambda ask: ask.pick(ask.problem.category),
    "equipment": _equipment,
    "licence": lambda ask: ask.keys(ask.problem.licence or "*"),
    "configuration": _configuration,
    "problem": _problem,
    "before": lambda ask: ask.say(ask.problem.before),
    "impact": _impact,
    "urgency": lambda ask: ask.pick(ask.problem.urgency),
    "planned": lambda ask: ask.pick("yes" if ask.problem.planned else "no"),
    "hold_offer": _hold_offer,
    "offline": _offline,
    "callback_window": lambda ask: ask.pick("asap"),
    "callback_at": lambda ask: ask.pick("callback_at"),
}


class Ear:
    """Wraps a phone's transport and keeps the last TwiML answered (for the Gather's text)."""

    def __init__(self, transport: Transport):
        self.transport = transport
        self.last_body = ""

    def __call__(self, url: str, params: dict[str, str],
                 headers: dict[str, str]) -> tuple[int, str]:
        status, body = self.transport(url, params, headers)
        if status == 200:
            self.last_body = body
        return status, body


def spoken_digits(number: str) -> re.Pattern[str]:
    """A number as the line may say it: digit by digit ("1 0 0 5") or whole ("1005")."""
    return re.compile(r"(?<!\d)" + r"\W*".join(re.escape(d) for d in number) + r"(?!\d)")
