"""Two shortcuts of the intake, run by the interpreter: a choice by key from a list the host
found (``pick``: "about your Dell Latitude, press 1"), and a menu's option guessed from what the
caller said and confirmed in one prompt (``guess``: "That sounds like a network problem"), or,
when the guess leads to a pick or a keypad menu, confirmed by choosing from it, offered with it.

``Choosing`` is mixed into the interpreter's run: it uses its state, fields, ``say``, ``log``,
``goto``, ``run`` and ``fail``.
"""

from __future__ import annotations

import copy
from typing import Any, TypeGuard

from . import answers
from .actions import Gather, Input, Say, Turn
from .fields import lookup, matches, said
from .model import BranchStep, GuessStep, MenuStep, PickStep, Prompt, Script
from .running import RunBase

MAX_ITEMS = 8  # keys 1-8 for the items, the next one for "other"


def items_of(fields: dict[str, Any], step: PickStep) -> list[dict[str, Any]]:
    """The items offered: those of the list field that have a label, at most MAX_ITEMS."""
    found = lookup(fields, step.items)
    if not isinstance(found, list):
        return []
    return [i for i in found if isinstance(i, dict) and i.get("label")][:MAX_ITEMS]


def guess(script: Script, step: GuessStep, fields: dict[str, Any], language: str) -> str | None:
    """The key of the menu option whose words the caller's words match most; None when no
    option matches, or two match as well as each other."""
    menu = script.step(step.menu)
    spoken = str(lookup(fields, step.from_) or "").lower()
    if not spoken or not isinstance(menu, MenuStep):
        return None
    scores = {key: sum(said(w, spoken) for w in option.words.get(language, []))
              for key, option in menu.options.items()}
    best = max(scores.values(), default=0)
    top = [key for key, score in scores.items() if score == best]
    return top[0] if best > 0 and len(top) == 1 else None


class Choosing(RunBase):
    """The pick and guess steps, for the interpreter's run."""

    def _ask(self, says: tuple[Say, ...], step: Any, hints: str | None = None,
             speech: bool = False) -> None:
        lang = self.state["language"]
        listen = "dtmf speech" if hints is not None or speech else "dtmf"
        self.actions.append(Gather(says, listen, lang,
                                   step.timeout or self.script.defaults.timeout, num_digits=1,
                                   hints=hints))
        self.state["mode"] = "input"

    def _said_with(self, prompt: Prompt, **extra: Any) -> Say:
        saved = {k: self.fields.get(k) for k in extra}
        self.fields.update(extra)
        try:
            return self.say(prompt)
        finally:
            for k, v in saved.items():
                if v is None:
                    self.fields.pop(k, None)
                else:
                    self.fields[k] = v

    # -- one spoken answer settling other menus too: "my team, with difficulty" -----------

    def also_settle(self, step: MenuStep, event: Input) -> None:
        if not event.speech or event.digits:
            return
        for name in step.also:
            other = self.script.step(name)
            key = answers.menu_choice(other, event, self.state["language"])
            if key is None:
                continue
            chosen = other.options[key].set
            if other.field:
                self.fields[other.field] = key
            self.fields.update(copy.deepcopy(chosen))
            said = {k: v for k, v in chosen.items() if isinstance(v, (str, int))}
            shown = ", ".join(f"{k}={v}" for k, v in chosen.items()) or f"option {key}"
            asked = step.field or self.state["step"]
            self.log("answer", f"{other.field or name}: {shown} (said with {asked})",
                     **{**said, "key": key})

    # -- pick: "about your Dell Latitude, press 1" ------------------------------------------

    def enter_pick(self, step: PickStep, prefix: tuple[Say, ...]) -> None:
        if not items_of(self.fields, step):
            self.goto(step.other_next)
            return
        self._ask(prefix + self._offer(step, self.by_voice(step)), step,
                  speech="speech" in step.input)

    def _offer(self, step: PickStep, by_voice: bool = False) -> tuple[Say, ...]:
        """Each item with its key, then other: "About your Dell Latitude, press 1. ..." (to a
        caller who answered by voice, the other one as a question, "Other equipment? Say
        which.", and with ``spoken`` the items without keys: "Your Dell Latitude, or other
        equipment?")"""
        items = items_of(self.fields, step)
        other = step.other_said if by_voice and step.other_said else step.other
        each = step.spoken if by_voice and step.spoken and step.other_said else step.prompt
        return tuple(self._said_with(each, item=i["label"], key=str(n))
                     for n, i in enumerate(items, 1)) + (
            self._said_with(other, key=str(len(items) + 1)),)

    def pick(self, step: PickStep, event: Input) -> Turn:
        items = items_of(self.fields, step)
        key = event.digits or ""
        if not key and event.speech and "speech" in step.input:
            return self._pick_said(step, items, event)
        if key == str(len(items) + 1):
            self.log("answer", f"{step.items}: none of them", key=key)
            self.goto(step.other_next)
            return self.run()
        if not key.isdigit() or not 1 <= int(key) <= len(items):
            return self.fail(step, "not understood", event)
        return self._picked(step, items[int(key) - 1], key=key)

    def _picked(self, step: PickStep, item: dict[str, Any], **how: Any) -> Turn:
        chosen = copy.deepcopy(item.get("set") or {})
        self.fields.update(chosen)
        self.log("answer", f"{step.items}: {item['label']}", **how,
                 **{k: v for k, v in chosen.items() if isinstance(v, (str, int))})
        self.goto(step.next)
        return self.run()

    def _pick_said(self, step: PickStep, items: list[dict[str, Any]], event: Input) -> Turn:
        """An item named by a word of its label, else the other one said: kept when heard
        clearly, else asked for at ``other_next`` as if "other" were keyed. Two items named
        is asked again."""
        spoken = (event.speech or "").strip()
        named = [i for i in items if any(said(word, spoken) for word in _label_words(i))]
        # "Your ThinkPad, or other equipment?" answered "yes" is the one item offered; "no"
        # (alone, or nearly) names no other one.
        yes = answers.yes_no(self.script, self.state["language"], event) if not named else None
        if yes and len(items) == 1:
            named = items
        if len(named) == 1:
            return self._picked(step, named[0], input="speech")
        if named or yes:  # two of theirs named, or "yes" to several: asked again, with keys
            return self.fail(step, "not understood", event)
        if yes is False and len(spoken.split()) <= 2:
            spoken = ""
        if step.other_field and len(spoken) >= 2 \
                and not answers.may_be_wrong(self.script, event):
            self.fields[step.other_field] = spoken
            self.fields[f"{step.other_field}_confidence"] = event.confidence
            self.log("answer", f"{step.other_field}: {spoken} (speech, confidence "
                     f"{event.confidence:.2f})", field=step.other_field, value=spoken,
                     confidence=event.confidence, input="speech")
        else:
            self.log("answer", f"{step.items}: none of them (said unclearly)", input="speech")
        self.goto(step.other_next)
        return self.run()

    # -- guess: "That sounds like a network problem; press 1 if right, 2 to choose" ----------

    def enter_guess(self, step: GuessStep, prefix: tuple[Say, ...]) -> None:
        lang = self.state["language"]
        key = guess(self.script, step, self.fields, lang)
        menu = self.script.step(step.menu)
        name = menu.options[key].name if key is not None else None
        if key is None or name is None:
            self.goto(step.menu)
            return
        led = self._guess_leads(step, key)
        if led is not None and step.named is not None and step.choose is not None:
            # "That sounds like a hardware problem. Your Dell Latitude, press 1. ..." or "That
            # sounds like an access problem. To hear how to reset your password, press 1. ..."
            # To a caller who said the problem, a menu led to asks its question without keys
            # (and without the other types of service): "That sounds like a network problem.
            # Would you like to reconnect the VPN yourself?" Asked again, the keys.
            menu = led[1]
            if _spoken_menu(menu) and menu.spoken and self.by_voice(menu):
                offer: tuple[Say, ...] = (self.say(menu.spoken),)
            else:
                offer, count = self._offer_led(menu)
                offer += (self._said_with(step.choose, key=str(count + 1)),)
            self._ask(prefix + (self._said_with(step.named, guess=name),) + offer, step,
                      speech=_spoken_menu(menu))
            return
        says = (self._said_with(step.prompt, guess=name),)
        self._ask(prefix + says, step, answers.yes_no_hints(self.script, lang))

    def _names_another(self, step: GuessStep, key: str, event: Input) -> bool:
        """Whether what was said names a type of service other than the one guessed."""
        spoken, lang = event.speech or "", self.state["language"]
        return any(any(said(w, spoken) for w in option.words.get(lang, []))
                   for other, option in self.script.step(step.menu).options.items()
                   if other != key)

    def _guess_leads(self, step: GuessStep, key: str) -> tuple[str, PickStep | MenuStep] | None:
        """The step the guessed option leads to (through branches, as if the guess were
        taken), offered with the guess: only when the guess step says how (named, choose) and
        it is a pick with items or a keypad menu of keys 1, 2, ... (keys 1-9 suffice)."""
        if step.named is None or step.choose is None:
            return None
        option = self.script.step(step.menu).options[key]
        fields = {**self.fields, **option.set}
        name = option.next
        for _ in range(len(self.script.steps)):
            target = self.script.step(name)
            if not isinstance(target, BranchStep):
                break
            name = next((c.next for c in target.cases if matches(c.when, fields)),
                        target.default)
        led = self.script.step(name)
        if isinstance(led, PickStep) and 0 < len(items_of(self.fields, led)) < MAX_ITEMS:
            return name, led
        if isinstance(led, MenuStep) and list(led.options) == [
                str(n) for n in range(1, min(len(led.options), MAX_ITEMS) + 1)]:
            return name, led
        return None

    def _offer_led(self, led: PickStep | MenuStep) -> tuple[tuple[Say, ...], int]:
        """What the guess offers of the step it leads to, and how many keys that takes."""
        if isinstance(led, PickStep):
            return self._offer(led), len(items_of(self.fields, led)) + 1
        return (self.say(led.prompt),), len(led.options)

    def guessed(self, step: GuessStep, event: Input) -> Turn:
        key = guess(self.script, step, self.fields, self.state["language"])
        led = self._guess_leads(step, key) if key is not None else None
        if led is not None and key is not None:
            count = self._offer_led(led[1])[1]
            digits = event.digits or ""
            if not digits and _spoken_menu(led[1]):
                # a menu's option said: the guess holds; another type of service named ("no,
                # it is my laptop"): the guess is refused
                answer: bool | None = not self._names_another(step, key, event)
                if answer and answers.menu_choice(led[1], event, self.state["language"]) is None:
                    return self.fail(step, "not understood", event)
            elif not digits.isdigit() or not 1 <= int(digits) <= count + 1:
                return self.fail(step, "not understood", event)
            else:
                answer = int(digits) <= count  # one of those offered: the guess holds
        else:
            answer = answers.yes_no(self.script, self.state["language"], event)
        menu = self.script.step(step.menu)
        if answer is None or key is None:
            return self.fail(step, "not understood", event)
        if answer is False:
            self.log("answer", f"{menu.field or step.menu}: guess {key} refused", key=key,
                     guess=key, confirmed=False)
            self.goto(step.menu)
            return self.run()
        option = menu.options[key]
        if menu.field:
            self.fields[menu.field] = key
        self.fields.update(copy.deepcopy(option.set))
        said = {k: v for k, v in option.set.items() if isinstance(v, (str, int))}
        chosen = ", ".join(f"{k}={v}" for k, v in option.set.items()) or f"option {key}"
        self.log("answer", f"{menu.field or step.menu}: {chosen} (guessed, confirmed)",
                 **{**said, "key": key, "guess": key, "confirmed": True})
        if led is None:
            self.goto(option.next)
            return self.run()
        self.goto(led[0])
        if isinstance(led[1], PickStep):
            return self.pick(led[1], event)
        return self.choose(led[1], event)


def _spoken_menu(led: PickStep | MenuStep) -> TypeGuard[MenuStep]:
    """A menu led to by a guess whose options may be said ("open a ticket")."""
    return isinstance(led, MenuStep) and "speech" in led.input


def _label_words(item: dict[str, Any]) -> list[str]:
    """The words of an item's label a caller may name it by: "Lenovo ThinkPad T14" gives
    "lenovo", "thinkpad" and "t14" (words of three characters or more, with a letter)."""
    return [w for w in str(item["label"]).lower().split()
            if len(w) >= 3 and any(c.isalpha() for c in w)]
