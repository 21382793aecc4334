"""bench/floor_app.py, the floor `bench/http_load.py --floor` sets the line against, does what
it says it does: a request Twilio did not sign is refused and writes nothing; a signed one is
answered with bare's document only after its turn and its answer are committed."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from twilio.request_validator import RequestValidator

FLOOR = Path(__file__).resolve().parents[2] / "bench" / "floor_app.py"
TOKEN, BASE = "floor-token", "https://line.example.org"
BODY = b'<?xml version="1.0" encoding="UTF-8"?><Response><Say>Hello</Say></Response>'


@pytest.fixture
def floor(tmp_path, monkeypatch):
    (tmp_path / "bare.xml").write_bytes(BODY)
    url = f"sqlite:///{tmp_path / 'floor.db'}"
    for name, value in {"BENCH_BARE_BODY": str(tmp_path / "bare.xml"), "DATABASE_URL": url,
                        "TWILIO_AUTH_TOKEN": TOKEN, "PUBLIC_BASE_URL": BASE}.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location("floor_app_under_test", FLOOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    engine = create_engine(url)
    module.make_tables(engine)
    yield module, module.app.test_client(), engine
    engine.dispose()


def signed(path: str, form: dict[str, str]) -> dict[str, str]:
    return {"X-Twilio-Signature": RequestValidator(TOKEN).compute_signature(BASE + path, form)}


def test_a_signed_answer_is_committed_before_the_answer_and_an_unsigned_one_writes_nothing(floor):
    module, client, engine = floor
    first = {"CallSid": "CA" + "1" * 32, "Digits": "2"}
    second = {"CallSid": "CA" + "1" * 32, "SpeechResult": "my laptop"}

    forged = client.post("/voice/step?t=1", data=first, headers=signed("/voice/step?t=9", first))
    assert forged.status_code == 403
    for form, turn in ((first, 1), (second, 2)):
        answer = client.post(f"/voice/step?t={turn}", data=form,
                             headers=signed(f"/voice/step?t={turn}", form))
        assert answer.status_code == 200 and answer.data == BODY

    with engine.connect() as conn:
        assert conn.execute(select(module.CALLS.c.turn)).scalars().all() == [2]
        events = conn.execute(select(module.EVENTS.c.turn, module.EVENTS.c.answer)
                              .order_by(module.EVENTS.c.turn)).all()
    assert [(turn, json.loads(answer)) for turn, answer in events] == [(1, first), (2, second)]
