"""Checks across a script's steps: links, reachability, languages, loops, the priority matrix.

Each check adds problems naming the line and step they are about; ``check_script`` runs them
all (the loader calls it once every step has parsed on its own).
"""

from __future__ import annotations

from typing import Any

import phonenumbers

from .model import (
    EFFECTS,
    INPUT_STEPS,
    PURE_ACTIONS,
    WAITING_STEPS,
    ActionStep,
    AskStep,
    GuessStep,
    Header,
    LanguageStep,
    MenuStep,
    PickStep,
    Priority,
    secret_fields,
    targets,
)
from .model import prompts as prompts_of
from .problems import Lines, Problem, placeholders
from .speech import plural_categories

KEYPAD = set("0123456789*#")


def check_script(header: Header, steps: dict[str, Any], raw_steps: dict, source: str,
                 lines: Lines) -> list[Problem]:
    """Every problem across the steps of a script whose steps each parsed on their own."""
    checks = _Checks(header, steps, raw_steps, source, lines)
    checks.header()
    for name, step in steps.items():
        checks.step(name, step)
    checks.keypad_languages()
    checks.reachable()
    checks.loops()
    checks.secrets()
    if header.priority:
        checks.priority(header.priority)
    return checks.out


class _Checks:
    def __init__(self, header: Header, steps: dict[str, Any], raw_steps: dict, source: str,
                 lines: Lines):
        self.header_ = header
        self.steps = steps
        self.raw_steps = raw_steps
        self.source = source
        self.lines = lines
        self.langs = list(header.languages)
        self.out: list[Problem] = []

    def problem(self, step: str | None, message: str, *path: Any) -> None:
        where = self.lines.of("steps", step, *path) if step else self.lines.of(*path)
        self.out.append(Problem(self.source, where, step, message))

    def prompt(self, step: str | None, what: str, prompt: dict, *path: Any) -> None:
        """A prompt says something in every language of the script, with sound placeholders."""
        known = self.header_.languages
        missing = [lang for lang in self.langs if not prompt.get(lang)]
        extra = [lang for lang in prompt if lang not in known]
        if missing:
            self.problem(step, f"{what} is missing language(s): {', '.join(missing)}", *path)
        if extra:
            self.problem(step, f"{what} has language(s) not in 'languages': {', '.join(extra)}",
                         *path)
        for lang, text in prompt.items():
            try:
                placeholders(text)
            except ValueError as exc:
                self.problem(step, f"{what} ({lang}): {exc}", *path)

    def header(self) -> None:
        """The script-wide settings: languages, default prompts and words, start, on_fail."""
        h = self.header_
        if h.default_language not in h.languages:
            self.problem(None, f"default_language {h.default_language!r} is not in languages",
                         "default_language")
        for key in ("reprompt", "no_input", "confirm", "number_refused"):
            if getattr(h.defaults, key) is not None:
                self.prompt(None, f"defaults.{key}", getattr(h.defaults, key), "defaults", key)
        for word, prompt in h.words.items():
            self.prompt(None, f"words.{word}", prompt, "words", word)
        for key, forms in h.plurals.items():
            self.plural(key, forms)
        self.countries()
        if h.start not in self.steps and h.start not in self.raw_steps:
            self.problem(None, f"start step {h.start!r} does not exist", "start")
        if h.defaults.on_fail and h.defaults.on_fail not in self.raw_steps:
            self.problem(None, f"defaults.on_fail names a step that does not exist: "
                         f"{h.defaults.on_fail!r}", "defaults", "on_fail")

    def countries(self) -> None:
        """A country's callers hear one language; each language is offered on a key of its
        own, said in its switch line."""
        if not isinstance(self.header_.languages, dict):
            return
        heard: dict[str, str] = {}
        keys: dict[str, str] = {}
        for code, info in self.header_.languages.items():
            for country in info.countries:
                if country not in phonenumbers.SUPPORTED_REGIONS:
                    self.problem(None, f"languages.{code}.countries: {country!r} is not a "
                                 "country code (ISO 3166, e.g. IT)", "languages", code,
                                 "countries")
                elif country in heard:
                    self.problem(None, f"languages.{code}.countries: {country!r} is already "
                                 f"{heard[country]}'s", "languages", code, "countries")
                heard.setdefault(country, code)
            if (info.switch is None) != (info.switch_key is None):
                self.problem(None, f"languages.{code}: switch and switch_key go together",
                             "languages", code)
            if info.switch_key is not None:
                if info.switch_key not in KEYPAD:
                    self.problem(None, f"languages.{code}.switch_key: {info.switch_key!r} is "
                                 "not a single keypad key", "languages", code, "switch_key")
                elif info.switch_key in keys:
                    self.problem(None, f"languages.{code}.switch_key: {info.switch_key!r} is "
                                 f"{keys[info.switch_key]}'s already", "languages", code,
                                 "switch_key")
                elif info.switch and info.switch_key not in info.switch:
                    self.problem(None, f"languages.{code}.switch does not say its key "
                                 f"{info.switch_key!r}", "languages", code, "switch")
                keys.setdefault(info.switch_key, code)

    def offer_languages(self, name: str, step: AskStep) -> None:
        """A question offering the other languages takes keys, none of them its own (a
        language without a switch key is not offered)."""
        if not isinstance(self.header_.languages, dict):
            return
        if step.input == "speech":
            self.problem(name, "offer_languages needs keys: 'input: dtmf speech'",
                         "offer_languages")
        for code, info in self.header_.languages.items():  # one without a key: not offered
            if info.switch_key and (info.switch_key in step.keys
                                    or info.switch_key == step.skip_key):
                self.problem(name, f"offer_languages: key {info.switch_key!r} is {code}'s and "
                             "this question's", "offer_languages")

    def plural(self, key: str, forms: dict[str, dict[str, str]]) -> None:
        """A counted noun has, in every language, each form that language's rules use."""
        missing_langs = [lang for lang in self.langs if lang not in forms]
        if missing_langs:
            self.problem(None, f"plurals.{key} is missing language(s): "
                         f"{', '.join(missing_langs)}", "plurals", key)
        for lang, by_form in forms.items():
            if lang not in self.header_.languages:
                self.problem(None, f"plurals.{key} has language {lang!r} not in 'languages'",
                             "plurals", key, lang)
                continue
            needed = plural_categories(lang)
            lacking = sorted(needed - set(by_form))
            extra = sorted(set(by_form) - needed)
            if lacking:
                self.problem(None, f"plurals.{key} ({lang}) needs the form(s) "
                             f"{', '.join(lacking)} (its plural rules use "
                             f"{', '.join(sorted(needed))})", "plurals", key, lang)
            if extra:
                self.problem(None, f"plurals.{key} ({lang}) has form(s) {', '.join(extra)} "
                             f"that the language does not use (it uses "
                             f"{', '.join(sorted(needed))})", "plurals", key, lang)
            for form, text in by_form.items():
                try:
                    names = placeholders(text)
                except ValueError as exc:
                    self.problem(None, f"plurals.{key} ({lang}, {form}): {exc}",
                                 "plurals", key, lang, form)
                    continue
                if any(n != "n" for n in names):
                    self.problem(None, f"plurals.{key} ({lang}, {form}): only {{n}} may be "
                                 "filled in", "plurals", key, lang, form)

    def step(self, name: str, step: Any) -> None:
        """One step's links, prompts, way out, keys and action."""
        for target in targets(step):
            if target not in self.raw_steps:
                self.problem(name, f"'next' names a step that does not exist: {target!r}",
                             *_path_to(self.raw_steps[name], target))
        for attr, prompt in prompts_of(step):
            self.prompt(name, attr, prompt, attr)
        if isinstance(step, INPUT_STEPS) and not (step.on_fail or self.header_.defaults.on_fail):
            self.problem(name, "no way out: set on_fail here or in defaults")
        if isinstance(step, MenuStep):
            self.menu(name, step)
        if isinstance(step, AskStep):
            self.ask(name, step)
        if isinstance(step, ActionStep):
            self.action(name, step)
        if isinstance(step, GuessStep):
            self.guess(name, step)
        if isinstance(step, PickStep):
            self.pick(name, step)

    def pick(self, name: str, step: PickStep) -> None:
        """A pick the caller may answer by voice says where the words go, and only then."""
        spoken = "speech" in step.input
        if step.other_said is not None and not spoken:
            self.problem(name, "other_said: the pick takes keys only; add 'input: dtmf speech'",
                         "other_said")
        if spoken and not step.other_field:
            self.problem(name, "input: a pick said by voice needs other_field, the field that "
                         "keeps the other item named", "input")
        if step.spoken is not None and step.other_said is None:
            self.problem(name, "spoken: items said without keys need other_said, the other "
                         "one as a question ('or other equipment?')", "spoken")

    def ask(self, name: str, step: AskStep) -> None:
        if step.offer_languages:
            self.offer_languages(name, step)
        if step.input != "speech" and step.skip_key == "#":
            self.problem(name, "skip_key '#' ends keypad input; use '*'", "skip_key")
        if step.spoken is not None and "speech" not in step.input:
            self.problem(name, "spoken: the question takes keys only ('input: dtmf'), so a "
                         "caller told no keys could not answer; add 'input: dtmf speech'",
                         "spoken")
        if step.skip_words and "speech" not in step.input:
            self.problem(name, "skip_words: the question takes keys only ('input: dtmf'); "
                         "add 'input: dtmf speech'", "skip_words")
        for lang in step.skip_words:
            if lang not in self.header_.languages:
                self.problem(name, f"skip_words for unknown language {lang!r}", "skip_words",
                             lang)
        for key in step.keys:
            if step.input == "speech" or step.validate_.kind != "speech":
                self.problem(name, f"keys: {key!r} needs a spoken answer taken with "
                             "'input: dtmf speech'", "keys", key)
            elif key not in KEYPAD or key == step.skip_key:
                self.problem(name, f"keys: {key!r} is not a single keypad key of its own",
                             "keys", key)

    def menu(self, name: str, step: MenuStep) -> None:
        if step.spoken is not None and "speech" not in step.input:
            self.problem(name, "spoken: the menu takes keys only ('input: dtmf'), so a caller "
                         "told no keys could not answer; add 'input: dtmf speech'", "spoken")
        for other in step.also:
            if not isinstance(self.steps.get(other), MenuStep):
                self.problem(name, f"also: {other!r} is not a menu", "also")
        for key, option in step.options.items():
            if key not in KEYPAD:
                self.problem(name, f"option {key!r} is not a single keypad key", "options", key)
            for lang in option.words:
                if lang not in self.header_.languages:
                    self.problem(name, f"option {key!r} has words for unknown language "
                                 f"{lang!r}", "options", key)

    def guess(self, name: str, step: GuessStep) -> None:
        """A guess names a menu; an option it may guess has a name and words no other
        option has, in every language."""
        menu = self.steps.get(step.menu)
        if not isinstance(menu, MenuStep):
            self.problem(name, f"guess: {step.menu!r} is not a menu", "menu")
            return
        for key, option in menu.options.items():
            if option.words and option.name is None:
                self.problem(step.menu, f"option {key!r} has words to guess it by but no "
                             "'name' to say it by", "options", key)
            elif option.name is not None:
                self.prompt(step.menu, f"option {key!r} name", option.name, "options", key,
                            "name")
        for lang in self.langs:
            seen: dict[str, str] = {}
            for key, option in menu.options.items():
                for word in option.words.get(lang, []):
                    other = seen.setdefault(word.lower(), key)
                    if other != key:
                        self.problem(step.menu, f"{word!r} ({lang}) guesses both option "
                                     f"{other!r} and {key!r}", "options", key, "words")

    def action(self, name: str, step: ActionStep) -> None:
        if step.do not in EFFECTS | PURE_ACTIONS:
            known = ", ".join(sorted(EFFECTS | PURE_ACTIONS))
            self.problem(name, f"unknown action {step.do!r} (expected one of: {known})", "do")
        if step.do == "assess_priority" and not self.header_.priority:
            self.problem(name, "assess_priority needs a 'priority' section")

    def keypad_languages(self) -> None:
        """A language menu offers each language on a key of its own."""
        if isinstance(self.header_.languages, dict) and any(
            isinstance(s, LanguageStep) for s in self.steps.values()
        ) and len(self.langs) > 9:
            self.problem(None, "at most 9 languages fit on the keypad", "languages")

    def reachable(self) -> None:
        """Every step can be reached from start (or from the script-wide way out)."""
        seen: set[str] = set()
        todo = [self.header_.start]
        if self.header_.defaults.on_fail:
            todo.append(self.header_.defaults.on_fail)
        while todo:
            name = todo.pop()
            if name in seen or name not in self.raw_steps:
                continue
            seen.add(name)
            if name in self.steps:
                todo.extend(targets(self.steps[name]))
        if len(self.steps) == len(self.raw_steps):
            for name in self.raw_steps:
                if name not in seen:
                    self.problem(name, "unreachable: no step leads here from start")

    def secrets(self) -> None:
        """A secret answer is never said or kept: no read-back, no prompt saying it, and
        straight on to the action that uses it (so it is never saved between turns)."""
        secret = secret_fields(self.steps)
        if not secret:
            return
        for name, step in self.steps.items():
            if isinstance(step, AskStep) and step.secret:
                if step.read_back is not None:
                    self.problem(name, f"secret answer {step.field!r} is never read back: "
                                 "remove read_back", "read_back")
                after = self.steps.get(step.next)
                if not (isinstance(after, ActionStep) and any(
                        path.split(".")[0] == step.field for path in after.args.values())):
                    self.problem(name, f"secret answer {step.field!r} must lead straight "
                                 f"('next') to the action that uses it (an action step with "
                                 f"{step.field!r} in its args)", "next")
            for attr, prompt in prompts_of(step):
                for lang, text in prompt.items():
                    said = _said_fields(text) & secret
                    if said:
                        self.problem(name, f"{attr} ({lang}) says secret answer(s) "
                                     f"{', '.join(sorted(said))}", attr, lang)
        for key in ("reprompt", "no_input", "confirm", "number_refused"):
            for lang, text in (getattr(self.header_.defaults, key) or {}).items():
                said = _said_fields(text) & secret
                if said:
                    self.problem(None, f"defaults.{key} ({lang}) says secret answer(s) "
                                 f"{', '.join(sorted(said))}", "defaults", key, lang)

    def loops(self) -> None:
        """No cycle among steps that never wait for the caller."""
        passive = {n: s for n, s in self.steps.items() if not isinstance(s, WAITING_STEPS)}
        for cycle in _cycles(passive):
            self.problem(cycle[0], "loop that never takes input: "
                         + " -> ".join([*cycle, cycle[0]]))

    def priority(self, pr: Priority) -> None:
        """The priority matrix names known labels, for every impact and urgency."""
        for label in (pr.planned_label, pr.default_label):
            if label not in pr.labels:
                self.problem(None, f"priority label {label!r} is not in priority.labels",
                             "priority")
        for impact, row in pr.matrix.items():
            for urgency, label in row.items():
                if label not in pr.labels:
                    self.problem(None, f"priority.matrix[{impact}][{urgency}] names unknown "
                                 f"label {label!r}", "priority", "matrix", impact, urgency)
        urgencies = {u for row in pr.matrix.values() for u in row}
        for impact, row in pr.matrix.items():
            for urgency in sorted(urgencies - set(row)):
                self.problem(None, f"priority.matrix[{impact}] has no entry for {urgency!r}",
                             "priority", "matrix", impact)
        for key, info in pr.labels.items():
            self.prompt(None, f"priority.labels.{key}.name", info.name,
                        "priority", "labels", key, "name")


def _said_fields(text: str) -> set[str]:
    """The fields a prompt's placeholders name (their first part: {pin} and {pin.x})."""
    try:
        return {name.split(".")[0].split("[")[0] for name in placeholders(text) if name}
    except ValueError:
        return set()  # a malformed prompt is reported by the prompt check


def _path_to(raw: Any, target: str) -> tuple:
    """Where in a raw step a link to target is written (for its line number)."""
    if isinstance(raw, dict):
        items = list(raw.items())
    elif isinstance(raw, list):
        items = list(enumerate(raw))
    else:
        return ()
    for key, value in items:
        if value == target and key in ("next", "default", "on_fail"):
            return (key,)
        found = _path_to(value, target)
        if found:
            return (key, *found)
    return ()


def _cycles(graph: dict[str, Any]) -> list[list[str]]:
    """Cycles in the graph of passive steps (Tarjan's strongly connected components)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def edges(n: str) -> list[str]:
        return [t for t in targets(graph[n]) if t in graph]

    def visit(n: str) -> None:
        index[n] = low[n] = counter[0]
        counter[0] += 1
        stack.append(n)
        on_stack.add(n)
        for t in edges(n):
            if t not in index:
                visit(t)
                low[n] = min(low[n], low[t])
            elif t in on_stack:
                low[n] = min(low[n], index[t])
        if low[n] == index[n]:
            component = []
            while True:
                m = stack.pop()
                on_stack.discard(m)
                component.append(m)
                if m == n:
                    break
            if len(component) > 1 or n in edges(n):
                found.append(sorted(component))

    for n in graph:
        if n not in index:
            visit(n)
    return found
