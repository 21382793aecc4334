"""Record docs/calls/*.txt: whole calls in English, Italian and Malay, made with the terminal
phone (`flask ivr call`) against the line served as `make run` serves it (a fresh SQLite
database with the demo data, `flask run`), on PORT. Run by `make calls`.

Each call's answers are below, one per line as a person would type them at the terminal phone
(digits are keys, words are speech, an empty line is silence). Before the calls, analyst Ann
takes a break from her phone, so callers hear the offer to hold and the hold itself.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
FLASK = str(Path(sys.executable).with_name("flask"))

# (file, caller ID, answers)
CALLS = [
    ("en-US.txt", "+442079460101", [  # Alice (London, on file): known, English, two open tickets
        "1", "10001#",  # the status of her first ticket
        "2",  # then a new problem
        "1",  # still at the place on file
        "The printer prints blank pages, I was printing the monthly invoices",
        "1",  # her printer on file: a hardware problem, as guessed (its configuration too)
        "my team, with difficulty",  # who is affected and whether they can work, at once
        "2",  # no other problem: to the queue
        "1",  # hold
        "",  # on hold for a while
        "2",  # rather a callback
        "1",  # as soon as an analyst is free, on the number she calls from
    ]),
    ("it-IT.txt", "+393331234567", [  # Marco: known, Italian, one open ticket
        # the problem at once (the place on file kept), with what he was doing
        "La VPN si disconnette ogni cinque minuti, stavo lavorando da casa",
        "no, grazie",  # a network problem, as guessed: no to the self-service asked with it
        "il ThinkPad",  # his ThinkPad on file, named (asked without keys: he spoke)
        "solo io, non riesco a lavorare",  # only him, and he cannot work
        "2",  # no other problem
        "1",  # hold
        "",
        "2", "1",  # a callback, as soon as an analyst is free
    ]),
    ("ms-MY.txt", "+60123456789", [  # Siti: known, Malay, no open ticket
        "Kata laluan saya telah tamat tempoh, saya cuba log masuk pagi ini",
        "tidak",  # an access problem, as guessed: no to the self-service asked with it
        "saya sahaja, dengan kesukaran",  # only her, with difficulty (asked without keys)
        "2",  # no other problem
        "1",  # hold
        "",
        "2", "1",  # a callback, the first choice: as soon as an analyst is free, or (late at
        # night in Kuala Lumpur, when her number may not be called yet) the one moment it may
    ]),
]
ANN_BREAK = ("+15550142001", ["2468#", "2"])  # Ann's PIN, then "take a break"


def run(*args: str, env: dict[str, str], stdin: str = "") -> str:
    done = subprocess.run([FLASK, *args], input=stdin, capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=120)
    return done.stdout + done.stderr


def phone(env: dict[str, str], server: str, number: str, answers: list[str]) -> str:
    return run("ivr", "call", "--server", server, "--from", number, env=env,
               stdin="\n".join(answers) + "\n")


def main(port: int) -> None:
    server = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "FLASK_APP": "wsgi", "DATABASE_URL": f"sqlite:///{tmp}/calls.db",
               "PUBLIC_BASE_URL": server, "LOG_LEVEL": "WARNING"}
        print(run("db", "upgrade", env=env).strip())
        print(run("ivr", "demo", "load", env=env).splitlines()[0])
        web = subprocess.Popen([FLASK, "run", "--port", str(port)], env=env, cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(100):
                try:
                    requests.get(server + "/healthz", timeout=1)
                    break
                except requests.ConnectionError:
                    time.sleep(0.2)
            phone(env, server, *ANN_BREAK)
            for name, number, answers in CALLS:
                text = phone(env, server, number, answers)
                (HERE / name).write_text(f"$ flask ivr call --from {number}\n{text}",
                                         encoding="utf-8")
                print(f"docs/calls/{name}: {len(text.splitlines())} lines")
        finally:
            web.terminate()
            web.wait(timeout=10)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5100)
