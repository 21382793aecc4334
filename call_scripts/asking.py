"""An ask step's answer, run by the interpreter: checked, read back when it may be wrong (speech
below the script's confidence threshold, a long keyed entry; never a menu choice), confirmed
or corrected, then kept (a secret one never logged).

``Asking`` is mixed into the interpreter's run (``running.RunBase``).
"""

from __future__ import annotations

from typing import Any

from . import answers
from .actions import Event, Gather, Input, Say, Silence, Turn
from .model import AskStep
from .running import RunBase


class Asking(RunBase):
    """The ask step's answers, for the interpreter's run."""

    def answer(self, step: AskStep, event: Input) -> Turn:
        switched = answers.switched_language(self.script, self.state["language"], event) \
            if step.offer_languages and self.state.get("offer_languages") else None
        if switched is not None:  # the same question again, in the language chosen
            self.state["language"] = switched
            self.state.pop("offer_languages", None)
            self.log("language", f"Caller chose {self.script.languages[switched].label}",
                     language=switched)
            self.goto(self.state["step"])
            return self.run()
        if event.digits in step.keys:
            self.log("answer", f"{step.field}: not given; key {event.digits} pressed",
                     field=step.field, key=event.digits)
            self.goto(step.keys[event.digits])
            return self.run()
        if answers.skipped(step, event, self.state["language"]):
            self.fields[step.field] = None
            self.log("answer", f"{step.field}: skipped", field=step.field, value=None)
            self.goto(step.next)
            return self.run()
        value, error = answers.validate(self.script, self.fields, step, event, self.dialling)
        if error:
            refused = self.script.defaults.number_refused if step.validate_.kind == "phone" \
                else None
            return self.fail(step, error, event, sorry=refused)
        if step.read_back and answers.may_be_wrong(self.script, event):
            self.state.update(mode="confirm", pending={
                "value": value, "confidence": event.confidence,
                "input": "speech" if event.speech and not event.digits else "dtmf"})
            return self.ask_confirm(step, value)
        return self.accept(step, value, event.confidence,
                           "speech" if event.speech and not event.digits else "dtmf")

    def ask_confirm(self, step: AskStep, value: Any, prefix: tuple[Say, ...] = ()) -> Turn:
        assert step.read_back is not None
        saved = self.fields.get("value")
        self.fields["value"] = value
        says = (self.say(step.read_back), self.say(self.script.defaults.confirm))
        if saved is None:
            self.fields.pop("value", None)
        else:
            self.fields["value"] = saved
        lang = self.state["language"]
        self.actions.append(Gather(prefix + says, "dtmf speech", lang,
                                   step.timeout or self.script.defaults.timeout, num_digits=1,
                                   hints=answers.yes_no_hints(self.script, lang)))
        return Turn(tuple(self.actions), self.state)

    def confirm(self, step: AskStep, event: Event) -> Turn:
        pending = self.state["pending"]
        answer = answers.yes_no(self.script, self.state["language"], event)
        if answer is True:
            return self.accept(step, pending["value"], pending["confidence"], pending["input"])
        if answer is False:
            self.log("reprompt", f"Caller corrected {step.field}", field=step.field,
                     rejected=pending["value"])
            self.state.update(mode="run", pending=None)
            self.gather(step)
            return Turn(tuple(self.actions), self.state)
        return self.fail(step, "no input" if isinstance(event, Silence) else "not understood",
                         event if isinstance(event, Input) else None)

    def accept(self, step: AskStep, value: Any, confidence: float | None, via: str) -> Turn:
        self.fields[step.field] = value
        if step.secret:
            self.log("answer", f"{step.field}: keyed (secret, not recorded)", field=step.field,
                     secret=True, input=via)
            self.goto(step.next)
            return self.run()
        if confidence is not None and via == "speech":
            self.fields[f"{step.field}_confidence"] = confidence
        shown = f"{value}" + (f" (speech, confidence {confidence:.2f})"
                              if confidence is not None and via == "speech" else f" ({via})")
        self.log("answer", f"{step.field}: {shown}", field=step.field, value=value,
                 confidence=confidence, input=via)
        self.goto(step.next)
        return self.run()
