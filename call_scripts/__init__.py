"""The call-script language: parse, validate and interpret. Pure: no Flask, Twilio or SQL."""

from .actions import (
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
from .fields import assess_priority
from .interpreter import advance, start
from .loader import load_file, parse, shipped_scripts
from .model import Script
from .problems import Problem, ScriptError, ScriptRuntimeError

__all__ = [
    "Effect", "Event", "Gather", "Hangup", "Input", "Log", "Problem", "Queue", "Record", "Recorded",
    "Result", "Say", "Script", "ScriptError", "ScriptRuntimeError", "Silence", "Turn", "advance",
    "assess_priority", "load_file", "parse", "shipped_scripts", "start",
]
