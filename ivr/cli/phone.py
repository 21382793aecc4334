"""`flask ivr call`: a terminal phone that calls the line as Twilio would."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from ..phone import Phone, PhoneError, Transport, http_transport, local_url


def _transport(server: str | None, in_process: bool) -> Transport:
    """Through this app in-process, or over HTTP to SERVER (default: PUBLIC_BASE_URL)."""
    if in_process:
        client = current_app.test_client()

        def through_app(url: str, params: dict[str, str],
                        headers: dict[str, str]) -> tuple[int, str]:
            response = client.post(local_url(url, ""), data=params, headers=headers)
            return response.status_code, response.get_data(as_text=True)

        return through_app
    target = server or current_app.config["PUBLIC_BASE_URL"]
    send = http_transport()

    def over_http(url: str, params: dict[str, str], headers: dict[str, str]) -> tuple[int, str]:
        return send(local_url(url, target), params, headers)

    return over_http


@click.command("call")
@with_appcontext
@click.option("--from", "from_", default="+15551234567", show_default=True,
              help="Caller ID to present (try a demo customer's number, or 'anonymous').")
@click.option("--lang", help="Answer the language menu with this language (e.g. it, ms-MY).")
@click.option("--server", help="Where the app runs (default: PUBLIC_BASE_URL).")
@click.option("--in-process", is_flag=True, help="Drive this app in-process, no server needed.")
def call(from_: str, lang: str | None, server: str | None, in_process: bool) -> None:
    """A terminal phone: call the line as Twilio would and answer its prompts.

    Type digits to press keys, words to speak, an empty line to stay silent, 'q' to hang up.
    """
    cfg = current_app.config
    phone = Phone(_transport(server, in_process), cfg["PUBLIC_BASE_URL"],
                  cfg["TWILIO_AUTH_TOKEN"], from_=from_, to=cfg["TWILIO_PHONE_NUMBER"])
    try:
        phone.dial()
        _converse(phone, lang)
    except PhoneError as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(
            f"cannot reach the help desk at {server or cfg['PUBLIC_BASE_URL']} ({exc}); "
            "start it with 'make run', or use --in-process") from None


def _converse(phone: Phone, lang: str | None) -> None:
    """Show what the line says and send what the person types, until someone hangs up."""
    while True:
        for heard in phone.heard:
            if heard.language:
                click.secho(f"[{heard.language}] ", fg="cyan", nl=False)
            click.echo(heard.text)
        if phone.hung_up:
            click.secho("(the line hung up)", fg="yellow")
            return
        if lang and phone.prompt and len(phone.languages) > 1:
            if _already_in(phone, lang):
                lang = None
            key = _language_key(phone, lang) if lang else None
            if key:
                click.secho(f"(pressing {key} for {lang})", fg="yellow")
                phone.press(key)
                lang = None
                continue
        what = phone.prompt.input if phone.prompt else "?"
        entry = click.prompt(click.style(f"you ({what})", fg="green"), default="",
                             show_default=False).strip()
        if not sys.stdin.isatty():  # answers read from a file: show them, as a transcript
            click.echo(entry or "(silence)")
        if entry.lower() in ("q", "quit", "hangup"):
            click.echo("(you hung up)")
            return
        _answer(phone, entry)


def _answer(phone: Phone, entry: str) -> None:
    """Silence, keys (digits, * and #) or speech."""
    if not entry:
        phone.wait()
    elif entry.replace("#", "").replace("*", "").isdigit() or entry in "*#":
        phone.press(entry.rstrip("#") or entry)
    else:
        phone.speak(entry)


def _already_in(phone: Phone, lang: str) -> bool:
    """The line speaks LANG already (chosen from the caller's country): the other languages
    offered at its first question are not a menu to answer."""
    prompt = phone.prompt
    return bool(prompt and prompt.input != "dtmf"
                and (prompt.language or "").lower().startswith(lang.lower()))


def _language_key(phone: Phone, lang: str) -> str | None:
    """The key the language menu offers for LANG, read from its prompt in that language."""
    for heard in phone.heard:
        if heard.language.lower().startswith(lang.lower()):
            digits = [c for c in heard.text if c.isdigit()]
            if digits:
                return digits[-1]
    return None
