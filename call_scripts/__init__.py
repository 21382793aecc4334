"""The call-script language: parse, validate and interpret. Pure: no Flask, Twilio or SQL."""

from .interpreter import (
    Effect,
    Gather,
    Hangup,
    Input,
    Log,
    Queue,
    Record,
    Recorded,
    Result,
    Say,
    ScriptRuntimeError,
    Silence,
    Turn,
    advance,
    assess_priority,
    start,
)
from .loader import Problem, ScriptError, load_file, parse, shipped_scripts
from .model import Script

__all__ = [
    "Effect", "Gather", "Hangup", "Input", "Log", "Problem", "Queue", "Record", "Recorded",
    "Result", "Say", "Script", "ScriptError", "ScriptRuntimeError", "Silence", "Turn", "advance",
    "assess_priority", "load_file", "parse", "shipped_scripts", "start",
]
