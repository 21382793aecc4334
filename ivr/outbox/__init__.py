"""Delivering the outbox (``tickets.outbox``): what the line tells other systems, sent by the
scheduler, never by a webhook of a live call. No Flask: the settings, the time and the HTTP and
Twilio clients are passed in.

- ``settings``: the integrations file (YAML): webhook targets, SMS.
- ``fanout``: which messages each event makes (one per webhook subscribed, an SMS).
- ``deliverer``: claims due messages under a lease and sends them through their channel, with
  retries and backoff, as the outbound dispatcher places calls.
- ``webhooks``, ``sms``: the channels (Standard Webhooks signing; Twilio Messaging).
- ``connectors``: the help desk's ticket systems (Zammad, GLPI, Jira Service Management): their
  messages, their channel, and what their signed webhooks send back.
"""
