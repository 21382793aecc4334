"""Calls the line places: the dispatcher that dials them, the sweeps that book them, and what
happens on and after each call. No Flask: the time is passed in.

Web workers only write `OutboundCall` rows; `flask ivr scheduler` (``ivr.scheduler``) is the one
process that places them (see ARCHITECTURE.md, "Running it").
"""
