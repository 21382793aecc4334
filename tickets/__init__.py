"""The help-desk domain: customers, tickets, priority and SLA, the timeline. No Flask, no Twilio."""
