"""The help-desk domain: customers, tickets, priority and SLA, the timeline. No Flask, no Twilio.

    models, accounts   the rows (statuses: ``statuses``)
    intake             what a call's script asks of the desk: callers, accounts, new tickets
    workflow           a ticket's life after intake (the one place its status changes)
    bookings           outbound calls booked, and their status
    timeline, phones   the ticket's timeline; phone numbers
    versions           published scripts and hold policies, and the live policy
"""


class TicketError(Exception):
    """A help-desk rule was broken."""
