"""Ticket-system connectors (Zammad, GLPI, Jira Service Management): the outbox's
``connector`` channel. Each change to a ticket that a ticket system should hear of is an
outbox message (``planner``: made at fan-out, in the scheduler), sent by ``channel`` through
the system's client (``zammad``, ``glpi``, ``jira``) with the deliverer's lease, retries and
backoff; ``inbound`` reads and verifies what the systems send back (their signed webhooks).
"""
