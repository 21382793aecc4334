"""Turn the interpreter's actions into TwiML with twilio's VoiceResponse."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from twilio.twiml.voice_response import Gather as GatherVerb
from twilio.twiml.voice_response import VoiceResponse

from call_scripts import Gather, Hangup, Queue, Record, Say


def _say(parent: VoiceResponse | GatherVerb, say: Say) -> None:
    parent.say(say.text, voice=say.voice, language=say.language)


_TO_QUEUES = "to the queues"  # a hand-off among the verbs rendered (its fields are not)


def render(actions: Iterable[object], action_url: str, queue_url: str = "") -> str:
    """TwiML for one turn. Every <Gather> is followed by a <Redirect> to the same step URL,
    so silence comes back to us as a request without input; a hand-off to the queues
    redirects to queue_url. What is said before a <Gather> is said inside it (barge-in): a
    caller who knows what comes may key or speak ahead.

    A document depends only on the turn's verbs and the two URLs: the last documents made are
    kept (``_render``), so callers at the same prompt of a script share one (its menus)."""
    verbs = tuple(_TO_QUEUES if isinstance(action, Queue) else action for action in actions
                  if isinstance(action, (Say, Gather, Record, Hangup, Queue)))
    return _render(verbs, action_url, queue_url)


@lru_cache(maxsize=256)
def _render(verbs: tuple[Say | Gather | Record | Hangup | str, ...], action_url: str,
            queue_url: str) -> str:
    response = VoiceResponse()
    waiting = False
    said: list[Say] = []  # waiting for the next verb: inside a <Gather>, else on their own
    for action in verbs:
        if isinstance(action, Say):
            said.append(action)
            continue
        if not isinstance(action, Gather):
            for say in said:
                _say(response, say)
        if isinstance(action, Gather):
            _gather(response, action, said, action_url)
            waiting = True
        elif isinstance(action, Record):
            _say(response, action.prompt)
            response.record(action=action_url, method="POST", max_length=action.max_length,
                            play_beep=True, timeout=5, finish_on_key="#")
            response.redirect(action_url, method="POST")  # nothing recorded: move on
            waiting = True
        elif isinstance(action, Hangup):
            response.hangup()
            waiting = True
        elif action == _TO_QUEUES:
            response.redirect(queue_url, method="POST")
            waiting = True
        said = []
    for say in said:
        _say(response, say)
    if not waiting:
        response.redirect(action_url, method="POST")
    return str(response)


def _gather(response: VoiceResponse, action: Gather, said: list[Say], action_url: str) -> None:
    """A <Gather> saying what was waiting and its own prompts, then a <Redirect> to the same
    step URL (silence comes back as a request without input)."""
    speech = "speech" in action.input
    gather = response.gather(
        input=action.input,
        action=action_url,
        method="POST",
        timeout=action.timeout,
        num_digits=action.num_digits,
        finish_on_key=action.finish_on_key,
        language=action.language,
        speech_timeout="auto" if speech else None,
        hints=action.hints if speech else None,
        action_on_empty_result=True if speech else None,
        barge_in=True if speech else None,
    )
    for say in (*said, *action.prompts):
        _say(gather, say)
    response.redirect(action_url, method="POST")


@dataclass(frozen=True)
class Outage:
    """What the line says, in one language, when it cannot serve a call (no database)."""

    voice: str
    sorry: str
    connecting: str
    voicemail: str
    received: str
    goodbye: str


OUTAGE = {
    "en-US": Outage(
        voice="Polly.Joanna",
        sorry="We are sorry, the help desk line is having technical difficulties right now.",
        connecting="Please hold while we connect you to the engineer on call.",
        voicemail="Please leave a message with your name, number and the problem after the "
                  "tone, then hang up. An analyst will call you back.",
        received="Thank you. Your message has been received. Goodbye.",
        goodbye="We apologise for the inconvenience. Goodbye."),
    "it-IT": Outage(
        voice="Polly.Bianca",
        sorry="Ci scusiamo, la linea dell'help desk ha dei problemi in questo momento.",
        connecting="Resti in linea: La mettiamo in contatto con l'ingegnere reperibile.",
        voicemail="Dopo il segnale acustico, lasci un messaggio con il Suo nome, il Suo numero "
                  "e il problema, poi riagganci. Un analista La richiamerà.",
        received="Grazie. Il Suo messaggio è stato ricevuto. Arrivederci.",
        goodbye="Ci scusiamo per il disagio. Arrivederci."),
    "ms-MY": Outage(
        voice="Google.ms-MY-Standard-A",
        sorry="Kami memohon maaf, talian meja bantuan sedang mengalami masalah teknikal "
              "sekarang.",
        connecting="Sila tunggu sementara kami menyambungkan anda kepada jurutera yang "
                   "bertugas.",
        voicemail="Selepas bunyi isyarat, sila tinggalkan mesej dengan nama, nombor telefon "
                  "dan masalah anda, kemudian letakkan telefon. Penganalisis akan menghubungi "
                  "anda semula.",
        received="Terima kasih. Mesej anda telah diterima. Selamat tinggal.",
        goodbye="Kami memohon maaf atas kesulitan ini. Selamat tinggal."),
}


def apology(words: Outage, language: str, emergency_number: str = "",
            voicemail_url: str | None = None) -> str:
    """The TwiML said when the line cannot serve a call: needs no database."""
    response = VoiceResponse()
    response.say(words.sorry, voice=words.voice, language=language)
    if emergency_number:
        response.say(words.connecting, voice=words.voice, language=language)
        response.dial(emergency_number)
    if voicemail_url:
        response.say(words.voicemail, voice=words.voice, language=language)
        response.record(action=voicemail_url, method="POST", max_length=180,
                        play_beep=True, timeout=5)
    response.say(words.goodbye, voice=words.voice, language=language)
    response.hangup()
    return str(response)


def goodbye(message: str, voice: str, language: str = "en-US") -> str:
    response = VoiceResponse()
    response.say(message, voice=voice, language=language)
    response.hangup()
    return str(response)


def hangup() -> str:
    response = VoiceResponse()
    response.hangup()
    return str(response)


def empty() -> str:
    return str(VoiceResponse())
