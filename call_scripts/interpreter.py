"""The pure interpreter: (script, state, event) -> (actions, new state). No I/O happens here.

State is a plain JSON-able dict kept on the call's row between webhooks:
    step      the current step
    mode      "input" (waiting for the caller), "confirm" (read-back), "result" (waiting for an
              effect's result), "ended"
    language  the language every prompt, voice and speech recogniser uses
    fields    everything collected or looked up so far
    tries     failed attempts at the current step
    spoke     the caller's last answer was said, not keyed (a menu's ``spoken`` prompt then)
    pending   a value waiting for the caller's confirmation (read-back)
    dialling  the numbers the line may call (``phones.DialRule.as_data``), from the host

Secret answers (``secret: true``, a PIN) are never logged, read back or kept: the action the
step leads to takes the value out of the fields when it asks the host to use it.
"""

from __future__ import annotations

import copy
from typing import Any

from . import answers
from .actions import (
    Action,
    Effect,
    Event,
    Gather,
    Hangup,
    Input,
    Log,
    Queue,
    Record,
    Recorded,
    Result,
    Say,
    Silence,
    Turn,
)
from .asking import Asking
from .choices import Choosing
from .fields import assess_priority, copied, lookup, matches, value_of
from .model import (
    ActionStep,
    AskStep,
    BranchStep,
    GuessStep,
    HangupStep,
    LanguageStep,
    MenuStep,
    PickStep,
    Prompt,
    QueueStep,
    RecordStep,
    SayStep,
    Script,
    SetStep,
)
from .phones import DialRule
from .problems import ScriptRuntimeError
from .speech import render

MAX_STEPS_PER_TURN = 200


class _Run(Choosing, Asking):
    def __init__(self, script: Script, state: dict[str, Any]):
        self.script = script
        self.state = copied(state)
        self.actions: list[Action] = []
        self.dialling = DialRule.from_data(self.state.get("dialling"))

    @property
    def fields(self) -> dict[str, Any]:
        return self.state["fields"]

    def say(self, prompt: Prompt) -> Say:
        return render(self.script, self.state, prompt)

    def log(self, kind: str, text: str, /, **data: Any) -> None:
        self.actions.append(Log(kind, self.state["step"], text, data))

    def goto(self, name: str) -> None:
        self.state.update(step=name, tries=0, pending=None, mode="run")

    # -- running passive steps until one waits --------------------------------------------

    def run(self) -> Turn:
        for _ in range(MAX_STEPS_PER_TURN):
            if self.state["mode"] != "run":
                return Turn(tuple(self.actions), self.state)
            step = self.script.step(self.state["step"])
            self.enter(step)
        raise ScriptRuntimeError(f"no input taken after {MAX_STEPS_PER_TURN} steps")

    def enter(self, step: Any, prefix: tuple[Say, ...] = ()) -> None:
        if isinstance(step, SayStep):
            self.actions.append(self.say(step.prompt))
            self.goto(step.next)
        elif isinstance(step, BranchStep):
            target = next((c.next for c in step.cases if matches(c.when, self.fields)),
                          step.default)
            self.goto(target)
        elif isinstance(step, SetStep):
            for key in step.clear:
                self.fields.pop(key, None)
            for key, value in step.values.items():
                self.fields[key] = value_of(self.fields, value)
            self.goto(step.next)
        elif isinstance(step, ActionStep):
            self.act(step)
        elif isinstance(step, HangupStep):
            if step.prompt:
                self.actions.append(self.say(step.prompt))
            self.actions.append(Hangup())
            self.state["mode"] = "ended"
        elif isinstance(step, QueueStep):
            if step.prompt:
                self.actions.append(self.say(step.prompt))
            self.actions.append(Queue(copied(self.fields)))
            self.state["mode"] = "ended"
        elif isinstance(step, RecordStep):
            self.actions.append(Record(self.say(step.prompt), step.max_length))
            self.state["mode"] = "input"
        elif isinstance(step, LanguageStep):
            known = lookup(self.fields, step.known) if step.known else None
            by_country = answers.country_language(self.script, lookup(
                self.fields, step.country)) if step.country else None
            if known in self.script.languages:
                self.state["language"] = known
                self.log("language", f"Language {known} from the customer record",
                         language=known)
                self.goto(step.next)
            elif by_country is not None:
                code, region = by_country
                self.state.update(language=code, offer_languages=True)
                self.log("language", f"Language {code} from the caller's country ({region})",
                         language=code)
                self.goto(step.next)
            elif step.otherwise:
                self.goto(step.otherwise)
            else:
                self.gather(step, prefix)
        elif isinstance(step, PickStep):
            self.enter_pick(step, prefix)
        elif isinstance(step, GuessStep):
            self.enter_guess(step, prefix)
        else:
            self.gather(step, prefix)

    def act(self, step: ActionStep) -> None:
        if step.do == "assess_priority":
            label = assess_priority(self.script, self.fields)
            pr = self.script.priority
            assert pr is not None
            info = pr.labels[label]
            self.fields.update(
                priority=label,
                tier=info.tier,
                response_minutes=info.response_minutes,
                resolution_minutes=info.resolution_minutes,
            )
            self.log("priority", f"Priority assessed: {info.name[self.script.default_language]}",
                     priority=label)
            self.goto(step.next)
            return
        args = {name: lookup(self.fields, path) for name, path in step.args.items()}
        for path in step.args.values():  # a secret is used once, then forgotten
            if path.split(".")[0] in self.script.secret_fields:
                self.fields.pop(path.split(".")[0], None)
        if step.do == "open_ticket" and self.script.priority:
            label = self.fields.get("priority") or self.script.priority.default_label
            args.setdefault("priority", label)
            args.setdefault("sla", self.script.priority.labels[label].model_dump(
                exclude={"name"}))
        self.state["mode"] = "result"
        self.actions.append(Effect(step.do, args, copied(self.fields)))

    def gather(self, step: Any, prefix: tuple[Say, ...] = ()) -> None:
        lang = self.state["language"]
        timeout = step.timeout or self.script.defaults.timeout
        if isinstance(step, LanguageStep):
            says = tuple(
                Say(text=info.select, language=code, voice=info.voice)
                for code, info in self.script.languages.items()
            )
            g = Gather(prefix + says, "dtmf", lang, timeout, num_digits=1)
        elif isinstance(step, MenuStep):
            # A menu's keys are whole answers: Twilio stops listening after the longest one,
            # so "100200" keyed at a five-option menu is "1", not a wait for the timeout.
            # A caller who answered the last question by voice hears the question without
            # its keys; asked again, the whole prompt.
            spoken = step.spoken if step.spoken and self.by_voice(step) else None
            g = Gather(prefix + (self.say(spoken or step.prompt),), step.input, lang, timeout,
                       num_digits=max(len(key) for key in step.options))
        else:
            hints = step.hints.get(lang)
            # A spoken answer takes a key only to skip it: that one key ends the Gather.
            skip_only = "dtmf" in step.input and step.validate_.kind == "speech"
            spoken = step.spoken if step.spoken and self.by_voice(step) else None
            g = Gather(prefix + self.other_languages(step) + (self.say(spoken or step.prompt),),
                       step.input, lang, timeout, num_digits=1 if skip_only else None,
                       hints=hints)
        self.actions.append(g)
        self.state["mode"] = "input"

    def other_languages(self, step: Any) -> tuple[Say, ...]:
        """The other languages, each offered in its own voice, at a question that offers them
        to a caller whose language came from their country."""
        if not (getattr(step, "offer_languages", False) and self.state.get("offer_languages")):
            return ()
        return tuple(Say(text=info.switch, language=code, voice=info.voice)
                     for code, info in self.script.languages.items()
                     if code != self.state["language"] and info.switch)

    # -- handling what the caller did --------------------------------------------------------

    def handle(self, event: Event) -> Turn:
        mode = self.state["mode"]
        if mode == "ended":
            return Turn((Hangup(),), self.state)
        step = self.script.step(self.state["step"])
        if mode == "result":
            return self.result(step, event)
        if isinstance(event, Result):
            return self.repeat(step)
        if isinstance(step, RecordStep):
            return self.recorded(step, event)
        if isinstance(event, Recorded):
            return self.fail(step, "not understood", None)
        if mode == "confirm":
            return self.confirm(step, event)
        if isinstance(event, Silence) or not (event.digits or event.speech):
            return self.fail(step, "no input", None)
        self.state["spoke"] = bool(event.speech and not event.digits)
        if isinstance(step, LanguageStep):
            return self.choose_language(step, event)
        if isinstance(step, MenuStep):
            return self.choose(step, event)
        if isinstance(step, PickStep):
            return self.pick(step, event)
        if isinstance(step, GuessStep):
            return self.guessed(step, event)
        assert isinstance(step, AskStep)
        return self.answer(step, event)

    def result(self, step: Any, event: Event) -> Turn:
        """The host's answer to the pending effect."""
        if not isinstance(event, Result):
            # Not what we were waiting for: ask the host again for the effect.
            self.state["mode"] = "run"
            return self.run()
        assert isinstance(step, ActionStep)
        if step.result:
            self.fields[step.result] = copied(event.data)
        self.goto(step.next)
        return self.run()

    def recorded(self, step: RecordStep, event: Event) -> Turn:
        if isinstance(event, Recorded) and event.url:
            self.fields[step.field] = {"url": event.url, "seconds": event.seconds}
            self.log("recording", f"Recording left ({event.seconds} s)", url=event.url,
                     seconds=event.seconds)
        else:
            self.log("no_recording", "Nothing recorded")
        self.goto(step.next)
        return self.run()

    def choose_language(self, step: LanguageStep, event: Input) -> Turn:
        chosen = answers.language_choice(self.script, event)
        if chosen is None:
            return self.fail(step, "not understood", event)
        self.state["language"] = chosen
        self.log("language", f"Caller chose {self.script.languages[chosen].label}",
                 language=chosen)
        self.goto(step.next)
        return self.run()

    def choose(self, step: MenuStep, event: Input) -> Turn:
        key = answers.menu_choice(step, event, self.state["language"])
        if key is None:
            return self.fail(step, "not understood", event)
        option = step.options[key]
        if step.field:
            self.fields[step.field] = key
        self.fields.update(copy.deepcopy(option.set))
        chosen = ", ".join(f"{k}={v}" for k, v in option.set.items()) or f"option {key}"
        said = {k: v for k, v in option.set.items() if isinstance(v, (str, int))}
        self.log("answer", f"{step.field or self.state['step']}: {chosen}",
                 **{**said, "key": key})
        self.also_settle(step, event)
        self.goto(option.next)
        return self.run()

    def fail(self, step: Any, reason: str, event: Input | None,
             sorry: Prompt | None = None) -> Turn:
        """A failed attempt: say ``sorry`` (else the step's or the script's re-prompt) and ask
        again, or take the way out after the last retry."""
        retries = step.retries if step.retries is not None else self.script.defaults.retries
        tries = self.state["tries"] + 1
        heard = ""
        if event is not None:
            heard = event.digits or event.speech or ""
        if getattr(step, "secret", False):  # what was keyed stays off the timeline
            heard = ""
            reason = reason if reason in ("no input", "not understood") else "not valid"
        if tries > retries:
            target = step.on_fail or self.script.defaults.on_fail
            self.log("way_out", f"Gave up after {tries} attempts ({reason})",
                     reason=reason, heard=heard)
            assert target is not None
            self.goto(target)
            return self.run()
        self.log("reprompt", f"Re-prompted ({reason}), attempt {tries + 1} of {retries + 1}",
                 reason=reason, heard=heard)
        self.state["tries"] = tries
        if sorry is None or reason == "no input":
            sorry = step.reprompt if getattr(step, "reprompt", None) else (
                self.script.defaults.no_input if reason == "no input"
                else self.script.defaults.reprompt)
        prefix = (self.say(sorry),)
        if self.state["mode"] == "confirm":
            return self.ask_confirm(step, self.state["pending"]["value"], prefix)
        self.state["mode"] = "run"
        self.enter(step, prefix)
        return Turn(tuple(self.actions), self.state)

    def repeat(self, step: Any) -> Turn:
        """Say the current step again without counting a failure."""
        if self.state["mode"] == "confirm":
            return self.ask_confirm(step, self.state["pending"]["value"])
        self.state["mode"] = "run"
        self.enter(step)
        return Turn(tuple(self.actions), self.state)


def start(script: Script, fields: dict[str, Any] | None = None,
          language: str | None = None, dialling: DialRule | None = None) -> Turn:
    """Begin a call: run from the script's start step with what the host already knows
    (``dialling``: the numbers the line may call back, from its policy)."""
    lang = language if language in script.languages else script.default_language
    state = {"step": script.start, "mode": "run", "language": lang,
             "fields": dict(fields or {}), "tries": 0, "pending": None,
             "dialling": (dialling or DialRule()).as_data()}
    return _Run(script, state).run()


def advance(script: Script, state: dict[str, Any], event: Event) -> Turn:
    """Take one event (input, silence or an effect's result) and run until the next wait."""
    return _Run(script, state).handle(event)
