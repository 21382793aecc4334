"""The pure queue core: routing choices, wait estimates and hold decisions (no I/O)."""
