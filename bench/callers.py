"""Scripted callers for the benchmarks: they answer by what the line asks, not by step order.

A caller hears the prompt of the current <Gather> (its <Say>s), finds what is asked by
keywords in the caller's language (the INTENTS table below, checked in order), and answers
from its Persona:
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
    queue: str = "hangup"  # at the queues: hold | callback | hangup


# ---- what a prompt asks ---------------------------------------------------------------------

# (intent, keywords per language); the first intent with a keyword in the prompt wins, so the
# more specific come first. Keywords are lower case and matched on word boundaries.
INTENTS: list[tuple[str, dict[str, tuple[str, ...]]]] = [
    ("language", {"*": ("for english", "per l'italiano", "bahasa melayu")}),
    # a self-service answer offered after the type of service (issue 16): callers open a ticket
    ("known_issue", {"en-US": ("to open a ticket",), "it-IT": ("per aprire un ticket",),
                     "ms-MY": ("untuk membuka tiket",)}),
    # a known caller: the place on file confirmed, the equipment on file picked by key
    ("location_confirm", {"en-US": ("still at",), "it-IT": ("ancora in",),
                          "ms-MY": ("masih di",)}),
    ("pick", {"en-US": ("about your", "about other"),
              "it-IT": ("per il suo", "un'altra apparecchiatura", "un altro software"),
              "ms-MY": ("peralatan lain", "perisian lain")}),
    # the type of service guessed from the problem, to confirm or refuse
    ("guess", {"en-US": ("sounds like",), "it-IT": ("sembra",), "ms-MY": ("kedengaran",)}),
    ("confirm", {"en-US": ("if that is right", "is that right", "if right"),
                 "it-IT": ("se è corretto", "è giusto"),
                 "ms-MY": ("jika betul",)}),
    ("hold_offer", {"en-US": ("to hold",), "it-IT": ("restare in attesa",),
                    "ms-MY": ("terus menunggu",)}),
    ("offline", {"en-US": ("no analyst is available", "closed right now"),
                 "it-IT": ("nessun tecnico", "nessun analista", "è chiuso"),
                 "ms-MY": ("tiada juruanalisis", "tiada penganalisis", "kini ditutup")}),
    ("callback_window", {"en-US": ("as soon as an analyst is free",),
                         "it-IT": ("appena un tecnico", "appena un analista"),
                         "ms-MY": ("sebaik sahaja",)}),
    ("callback_key", {"en-US": ("number we should call",),
                      "it-IT": ("numero al quale", "numero da richiamare"),
                      "ms-MY": ("nombor untuk kami",)}),
    ("callback_menu", {"en-US": ("call you back on",), "it-IT": ("richiamarla al numero",),
                       "ms-MY": ("menghubungi anda semula di nombor",)}),
    ("another_problem", {"en-US": ("another problem",), "it-IT": ("altro problema",),
                         "ms-MY": ("masalah lain",)}),
    ("new_problem", {"en-US": ("new problem",), "it-IT": ("nuovo problema",),
                     "ms-MY": ("masalah baharu",)}),
    ("account", {"en-US": ("account number",), "it-IT": ("conto cliente", "suo conto"),
                 "ms-MY": ("nombor akaun",)}),
    ("service_type", {"en-US": ("type of service",), "it-IT": ("tipo di servizio",),
                      "ms-MY": ("jenis perkhidmatan",)}),
    ("location", {"en-US": ("building", "where is"), "it-IT": ("edificio", "dove si trova"),
                  "ms-MY": ("bangunan", "di manakah")}),
    ("licence", {"en-US": ("licence", "license"), "it-IT": ("licenza",), "ms-MY": ("lesen",)}),
    ("equipment", {"en-US": ("model", "asset tag"), "it-IT": ("modello", "inventario"),
                   "ms-MY": ("model peralatan", "tag aset")}),
    ("configuration", {"en-US": ("configuration",), "it-IT": ("configurazione",),
                       "ms-MY": ("konfigurasi", "konfigurasinya")}),
    ("impact", {"en-US": ("who is affected",), "it-IT": ("chi è interessato",),
                "ms-MY": ("siapakah yang terjejas",)}),
    ("urgency", {"en-US": ("still work",), "it-IT": ("ancora a lavorare",),
                 "ms-MY": ("masih boleh bekerja",)}),
    ("planned", {"en-US": ("planned event", "scheduled change"),
                 "it-IT": ("evento pianificato", "modifica programmata"),
                 "ms-MY": ("peristiwa yang dirancang", "perubahan berjadual")}),
    ("before", {"en-US": ("doing when",), "it-IT": ("stava facendo",),
                "ms-MY": ("sedang anda lakukan",)}),
    ("problem", {"en-US": ("the problem", "what is wrong", "own words"),
                 "it-IT": ("il problema", "parole sue"),
                 "ms-MY": ("terangkan masalah", "apakah masalah", "apakah masalahnya")}),
    ("department", {"en-US": ("department",), "it-IT": ("reparto",), "ms-MY": ("jabatan",)}),
    ("name", {"en-US": ("name",), "it-IT": ("nome",), "ms-MY": ("nama",)}),
]

# The menu option a caller wants, by the words of its description ("If not, press 2").
CHOICES: dict[str, dict[str, tuple[str, ...]]] = {
    "lang:en-US": {"*": ("english",)},
    "lang:it-IT": {"*": ("italiano",)},
    "lang:ms-MY": {"*": ("melayu",)},
    "yes": {"en-US": ("if that is right", "if so", "if yes", "yes", "right"),
            "it-IT": ("se è corretto", "se sì", "sì", "corretto"),
            "ms-MY": ("jika betul", "jika ya", "ya", "betul")},
    "no": {"en-US": ("if not", "no"), "it-IT": ("se no", "no"),
           "ms-MY": ("jika tidak", "tidak")},
    "new_problem": {"en-US": ("new problem",), "it-IT": ("nuovo problema",),
                    "ms-MY": ("masalah baharu",)},
    "hardware": {"en-US": ("hardware",), "it-IT": ("hardware",), "ms-MY": ("perkakasan",)},
    "software": {"en-US": ("software",), "it-IT": ("software",), "ms-MY": ("perisian",)},
    "network": {"en-US": ("network",), "it-IT": ("rete",), "ms-MY": ("rangkaian",)},
    "access": {"en-US": ("access",), "it-IT": ("accessi", "accesso"), "ms-MY": ("akses",)},
    "other": {"en-US": ("anything else", "something else"),
              "it-IT": ("qualsiasi altra", "altro"), "ms-MY": ("perkara lain",)},
    "me": {"en-US": ("just you", "only you"), "it-IT": ("solo lei",),
           "ms-MY": ("hanya anda",)},
    "team": {"en-US": ("team",), "it-IT": ("team",), "ms-MY": ("pasukan",)},
    "organisation": {"en-US": ("organisation", "organization", "everyone"),
                     "it-IT": ("organizzazione", "tutti"), "ms-MY": ("organisasi", "semua orang")},
    "works": {"en-US": ("normally",), "it-IT": ("normalmente",), "ms-MY": ("seperti biasa",)},
    "impaired": {"en-US": ("difficulty",), "it-IT": ("difficoltà",), "ms-MY": ("kesukaran",)},
    "blocked": {"en-US": ("cannot", "not at all"), "it-IT": ("non può", "affatto", "per niente"),
                "ms-MY": ("langsung tidak", "tidak boleh")},
    "hold": {"en-US": ("to hold",), "it-IT": ("restare in attesa",),
             "ms-MY": ("terus menunggu",)},
    "callback": {"en-US": ("call you back",), "it-IT": ("richiamato",),
                 "ms-MY": ("menghubungi anda semula", "dihubungi semula")},
    "asap": {"en-US": ("as soon as",), "it-IT": ("appena",), "ms-MY": ("sebaik sahaja",)},
    "open_ticket": {"en-US": ("to open a ticket",), "it-IT": ("per aprire un ticket",),
                    "ms-MY": ("untuk membuka tiket",)},
    "planned": {"en-US": ("scheduled change",), "it-IT": ("modifica programmata",),
                "ms-MY": ("perubahan berjadual",)},
    "refuse_guess": {"en-US": ("to choose",), "it-IT": ("per scegliere",),
                     "ms-MY": ("untuk memilih",)},
    "other_item": {"en-US": ("other equipment", "other software"),
                   "it-IT": ("un'altra apparecchiatura", "un altro software"),
                   "ms-MY": ("peralatan lain", "perisian lain")},
}

# What a caller says instead of pressing, where the line listens for speech.
SAID: dict[str, dict[str, str]] = {
    "yes": {"en-US": "yes", "it-IT": "sì", "ms-MY": "ya"},
    "no": {"en-US": "no", "it-IT": "no", "ms-MY": "tidak"},
    "hardware": {"en-US": "the printer", "it-IT": "la stampante", "ms-MY": "pencetak"},
    "software": {"en-US": "software", "it-IT": "software", "ms-MY": "perisian"},
    "network": {"en-US": "the network", "it-IT": "la rete", "ms-MY": "rangkaian"},
    "access": {"en-US": "my password", "it-IT": "la password", "ms-MY": "kata laluan"},
    "other": {"en-US": "something else", "it-IT": "qualcos'altro", "ms-MY": "perkara lain"},
    "me": {"en-US": "just me", "it-IT": "solo io", "ms-MY": "saya sahaja"},
    "team": {"en-US": "my team", "it-IT": "il mio team", "ms-MY": "pasukan saya"},
    "organisation": {"en-US": "the whole organisation", "it-IT": "tutta l'azienda",
                     "ms-MY": "seluruh organisasi"},
    "works": {"en-US": "normally", "it-IT": "normalmente", "ms-MY": "seperti biasa"},
    "impaired": {"en-US": "with difficulty", "it-IT": "con difficoltà",
                 "ms-MY": "dengan kesukaran"},
    "blocked": {"en-US": "I cannot work at all", "it-IT": "non posso lavorare affatto",
                "ms-MY": "langsung tidak boleh bekerja"},
}

# An impact question that asks whether the caller can work too (one spoken answer for both).
BOTH_ASKED = {"en-US": ("can you work",), "it-IT": ("riesce a lavorare",),
              "ms-MY": ("bolehkah anda bekerja",)}

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
    description is the text before the key, or after it when nothing comes before."""
    options = []
    for sentence in re.split(r"(?<=[.?!])\s+", _norm(prompt)):
        matches = list(re.finditer(rf"\b{KEY_WORDS}\s+(\d)", sentence))
        for i, m in enumerate(matches):
            start = matches[i - 1].end() if i else 0
            before = sentence[start:m.start()].strip(" ,;:")
            end = matches[i + 1].start() if i + 1 < len(matches) else len(sentence)
            options.append((before or sentence[m.end():end], m.group(1)))
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
        p, pr = self.persona, self.problem

        def pick(want: str) -> Answer | None:
            if not by_key and want in SAID:
                return Answer(intent, "speech", SAID[want][language])
            key = choose(prompt, want, language)
            return Answer(intent, "key", key) if key else None

        def say(text: str) -> Answer:
            return Answer(intent, "speech", text)

        def keys(digits: str) -> Answer:
            return Answer(intent, "key", digits)

        if intent == "language":
            return pick(f"lang:{p.language}")
        if intent == "pick":
            mine = [v.lower() for v in (pr.equipment, pr.asset_tag, pr.licence) if v]
            for description, key in menu_options(prompt):
                if any(v in description for v in mine):
                    return keys(key)
            key = choose(prompt, "other_item", language)
            return keys(key) if key else None
        if intent == "guess":  # right when the guess names the caller's type of service
            right = _has(_norm(prompt), _words(CHOICES[pr.category], language))
            if not by_key:
                return Answer(intent, "speech", SAID["yes" if right else "no"][language])
            return pick("yes") if right else pick("refuse_guess")
        if intent in ("confirm", "callback_menu", "location_confirm"):
            return pick("yes")
        if intent == "new_problem":
            return pick("new_problem")
        if intent == "known_issue":
            key = choose(prompt, "open_ticket", language)
            return keys(key) if key else None
        if intent == "another_problem":
            more = self.problem_index + 1 < len(p.problems)
            if more:
                self.problem_index += 1
            return pick("yes" if more else "no")
        if intent == "name":
            return say(p.name)
        if intent == "department":
            return say(p.department)
        if intent == "location":
            return say(p.location)
        if intent == "callback_key":
            return keys(p.callback or "2025550100")
        if intent == "account":
            return keys(p.account or "*")
        if intent == "service_type":
            return pick(pr.category)
        if intent == "equipment":
            if pr.asset_tag and (by_key or not speech_ok):
                return keys(pr.asset_tag)
            if pr.equipment and speech_ok:
                return say(pr.equipment)
            return keys(pr.asset_tag or "*")
        if intent == "licence":
            return keys(pr.licence or "*")
        if intent == "configuration":
            return say(pr.configuration) if pr.configuration and speech_ok else keys("*")
        if intent == "problem":
            return say(pr.text)
        if intent == "before":
            return say(pr.before)
        if intent == "impact":
            both = _has(_norm(prompt), _words(BOTH_ASKED, language))
            if both and not by_key and not pr.planned:  # "my team, with difficulty"
                return say(f"{SAID[pr.impact][language]}, {SAID[pr.urgency][language]}")
            return pick("planned" if pr.planned else pr.impact)
        if intent == "urgency":
            return pick(pr.urgency)
        if intent == "planned":
            return pick("yes" if pr.planned else "no")
        if intent == "hold_offer":
            if p.queue == "hangup":
                return Answer(intent, "hangup", "")
            return pick("hold" if p.queue == "hold" else "callback")
        if intent == "offline":
            if p.queue == "hangup":
                return Answer(intent, "hangup", "")
            return pick("callback")
        if intent == "callback_window":
            return pick("asap")
        return None


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
