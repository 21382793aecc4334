"""Calls the line places: the dispatcher, the sweeps that book them, and the scheduler process.

Web workers only write `OutboundCall` rows; `flask ivr scheduler` is the one process that
places them (see ARCHITECTURE.md, "Running it").
"""
