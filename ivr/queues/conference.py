"""A caller's conference with analysts: the one module that changes a ``Conference`` or a
``Participant``.

    conference: waiting (the caller hears the hold music) -> live (an analyst joined) -> ended
    participant: dialing -> joined -> left | dialing -> missed (never joined)

The caller joins a named conference from the bridge webhook; each analyst is dialled into it
with a call of their own whose TwiML plays the whisper first, then joins; a team lead joins as a
participant (muted, coaching, or not). Twilio's conference callbacks and each leg's status
callbacks keep the rows true: each applies once, in order of its SequenceNumber, so repeats and
late arrivals change nothing.

No Flask: ``Conferences`` is given the Twilio client and the URLs Twilio fetches.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from requests import RequestException
from sqlalchemy.orm import Session
from twilio.base.exceptions import TwilioException
from twilio.rest import Client

from tickets import TicketError, workflow
from tickets.models import Agent, Conference, Participant, QueueEntry, Ticket
from tickets.statuses import ConferenceStatus, ParticipantRole, ParticipantStatus

from . import agents, service
from .legs import caller_leg, label_of, participants, record

log = logging.getLogger(__name__)

LEG_EVENTS = ["initiated", "ringing", "answered", "completed"]
CONFERENCE_EVENTS = "start end join leave mute hold modify"
ANALYST_RING_SECONDS = 20
MAX_HOLD_MINUTES = 10  # longer than this, the SOP has the analyst offer a callback


class ConferenceError(TicketError):
    """A change asked of a live call cannot be made (told to the person who asked)."""


@dataclass(frozen=True)
class LiveEscalation:
    """What the analyst asked: warm or cold, to which tier (None: the next), why, and the
    approver the escalation matrix needs beyond tier 3."""

    mode: str
    reason: str
    actor: str
    to_tier: int | None = None
    approver: str | None = None
    approvers: tuple[str, ...] | list[str] = ()
    beyond_name: str = "management"


@dataclass(frozen=True)
class ConferenceUrls:
    """Where Twilio fetches what the legs of a conference hear and report."""

    events: Callable[[int], str]  # conference id -> its status callback
    music: Callable[[int], str]  # conference id -> what a caller hears before an analyst
    analyst: Callable[[int, int, int], str]  # (entry, conference, agent) -> whisper, then join
    leg_status: Callable[[int], str]  # participant id -> its call's status callback
    requeue: Callable[[int, str], str]  # (entry id, why) -> the caller back in line
    hold: Callable[[int, int], str]  # (conference id, minutes) -> told, then the hold music


SUPERVISOR_MODES = ("listen", "whisper", "barge")
MODE_SAID = {"listen": "listen in, muted", "whisper": "coach the analyst (only they hear you)",
             "barge": "be on the call with the caller and the analyst"}
MODE_DONE = {"listen": "listened in (muted)", "whisper": "coached the analyst (whisper)",
             "barge": "joined the call (barge)"}


@dataclass(frozen=True)
class TeamLead:
    """A team lead supervising: their login, their name, the phone that rings them."""

    user_id: int
    name: str
    phone: str | None


def _mode_options(mode: str, coached: Participant | None) -> dict[str, object]:
    """Twilio's participant flags for a supervisor's mode (``Muted``, ``Coaching``)."""
    options: dict[str, object] = {"muted": mode == "listen"}
    if mode == "whisper" and coached is not None:
        options.update(coaching=True, call_sid_to_coach=coached.call_sid)
    return options


@dataclass(frozen=True)
class Conferences:
    """Conferences through one Twilio account."""

    client: Callable[[], Client]
    urls: ConferenceUrls
    line_number: str

    def dial_analyst(self, session: Session, conference: Conference, entry: QueueEntry,
                     agent: Agent) -> Participant | None:
        """Place the analyst's leg: their phone (or browser) hears the whisper, then joins.
        The leg's row is committed before Twilio is asked (its callbacks may come at once).
        None: Twilio refused or was unreachable (the leg is marked missed)."""
        leg = Participant(conference_id=conference.id, role=ParticipantRole.ANALYST,
                          agent_id=agent.id)
        session.add(leg)
        session.commit()
        to = f"client:{agent.client_identity}" if agent.answers_in_browser and \
            agent.client_identity else (agent.phone or f"client:{agent.client_identity}")
        try:
            placed = self.client().calls.create(
                to=to, from_=self.line_number, method="POST",
                url=self.urls.analyst(entry.id, conference.id, agent.id),
                status_callback=self.urls.leg_status(leg.id), status_callback_method="POST",
                status_callback_event=LEG_EVENTS, timeout=ANALYST_RING_SECONDS)
        except (TwilioException, RequestException) as exc:
            leg.status = ParticipantStatus.MISSED
            log.warning("dialling analyst %s into conference %s failed: %s", agent.id,
                        conference.id, exc)
            return None
        leg.call_sid = placed.sid
        return leg

    def update_leg(self, conference: Conference, leg: Participant, **changes: object) -> None:
        """Change one leg in Twilio (hold, mute, coaching, ...); ConferenceError if refused."""
        if not leg.call_sid:
            raise ConferenceError("that leg has no call yet")
        try:
            self.client().conferences(conference.sid or conference.name) \
                .participants(leg.call_sid).update(**changes)
        except (TwilioException, RequestException) as exc:
            raise ConferenceError(f"Twilio refused the change ({exc})") from None

    def remove_leg(self, conference: Conference, leg: Participant) -> None:
        """Take one leg out of the conference (its call ends); ConferenceError if refused."""
        if not leg.call_sid:
            raise ConferenceError("that leg has no call yet")
        try:
            self.client().conferences(conference.sid or conference.name) \
                .participants(leg.call_sid).delete()
        except (TwilioException, RequestException) as exc:
            raise ConferenceError(f"Twilio refused the change ({exc})") from None

    def escalate(self, session: Session, conference: Conference, leg: Participant,
                 escalation: LiveEscalation, now: datetime) -> str:
        """Escalate the ticket of the call and hand the caller up a tier while on the line:
        warm (the next tier's analyst is dialled in, whisper first; this analyst introduces
        and leaves) or cold (the caller waits at the head of that tier's line, told why).
        Beyond tier 3 only the ticket escalates (with its approver): the caller stays.
        Says how it went; TicketError or ConferenceError when it cannot be done."""
        entry = session.get(QueueEntry, conference.queue_entry_id) \
            if conference.queue_entry_id else None
        ticket = session.get(Ticket, conference.ticket_id) if conference.ticket_id else None
        if entry is None or ticket is None:
            raise ConferenceError("this call has no ticket to escalate")
        if escalation.mode not in ("warm", "cold"):
            raise ConferenceError("an escalation is warm or cold")
        tier = workflow.escalate_ticket(
            session, ticket, reason=escalation.reason, actor=escalation.actor, now=now,
            to_tier=escalation.to_tier, approver=escalation.approver,
            approvers=escalation.approvers, beyond_name=escalation.beyond_name)
        if tier > workflow.MAX_TIER:
            return (f"Ticket {ticket.number} escalated to {escalation.beyond_name}; the caller "
                    "stays with you.")
        if escalation.mode == "warm":
            return self._warm(session, conference, entry, tier, escalation, now)
        return self._cold(session, conference, entry, tier, escalation, now)

    def _warm(self, session: Session, conference: Conference, entry: QueueEntry, tier: int,
              escalation: LiveEscalation, now: datetime) -> str:
        agent = agents.free_in_tier(session, tier)
        if agent is None or not agents.claim(session, agent.id, now):
            raise ConferenceError(f"No tier {tier} analyst is free to join now: escalate cold "
                                  f"to put the caller first in tier {tier}'s line.")
        record(session, conference, "warm_transfer", f"{escalation.actor} asked {agent.name} "
               f"(tier {tier}) to join the call: {escalation.reason}", actor=escalation.actor,
               agent_id=agent.id, tier=tier)
        if self.dial_analyst(session, conference, entry, agent) is None:
            agents.free(session, agent.id, now, only_on_call=True)
            session.commit()
            raise ConferenceError(f"{agent.name} could not be dialled; the ticket is at tier "
                                  f"{tier}. Try a cold escalation.")
        return (f"Ticket escalated to tier {tier}; {agent.name} is being dialled in. Introduce "
                "the caller, then leave the call.")

    def _cold(self, session: Session, conference: Conference, entry: QueueEntry, tier: int,
              escalation: LiveEscalation, now: datetime) -> str:
        caller = caller_leg(session, conference)
        if caller is None or not caller.call_sid:
            raise ConferenceError("the caller's leg is not known yet")
        before = (entry.tier, entry.rank, entry.agent_id)
        service.send_to_tier(session, entry, tier, escalation.reason, now)
        caller.leaving = True
        session.commit()  # their place at the head of the line is kept before they hear it
        if not self.redirect_caller(caller.call_sid, self.urls.requeue(entry.id, "escalated")):
            service.undo_send_to_tier(entry, before[0], before[1], before[2] or 0, now)
            caller.leaving = False
            session.commit()
            raise ConferenceError(f"Twilio would not move the caller; the ticket is at tier "
                                  f"{tier} and the caller is still with you.")
        return (f"Ticket escalated to tier {tier}; the caller waits first in tier {tier}'s "
                "line.")

    def hand_over(self, session: Session, conference: Conference, leg: Participant,
                  actor: str, now: datetime) -> str:
        """The analyst who introduced the caller leaves; the conference goes on without
        them (the analyst who stays holds the call and its tickets)."""
        staying = [p for p in participants(session, conference, ParticipantRole.ANALYST)
                   if p.status == ParticipantStatus.JOINED and p.id != leg.id]
        if not staying:
            raise ConferenceError("Nobody else is on the call yet: stay until the analyst "
                                  "you asked for has joined.")
        other = session.get(Agent, staying[-1].agent_id)
        assert other is not None
        self.update_leg(conference, leg, end_conference_on_exit=False)
        self.remove_leg(conference, leg)
        leg.leaving = True
        service.hand_over(session, conference.queue_entry_id, conference.call_id, other)
        record(session, conference, "handed_over", f"{actor} handed the call over to "
               f"{other.name} (tier {other.tier})", actor=actor, agent_id=other.id)
        return f"You left the call; {other.name} has it."

    def hold(self, session: Session, conference: Conference, minutes: int, agreed: bool,
             actor: str, now: datetime) -> str:
        """Put the caller on hold for about ``minutes``, once they have agreed (the SOP:
        say how long, ask first). Twilio plays them the hold document: told how long, then
        the policy's music."""
        if not agreed:
            raise ConferenceError("Ask the caller first: tell them how long, and put them on "
                                  "hold only once they agree.")
        if not 1 <= minutes <= MAX_HOLD_MINUTES:
            raise ConferenceError(f"A hold is 1 to {MAX_HOLD_MINUTES} minutes; for longer, "
                                  "offer to call the caller back.")
        caller = caller_leg(session, conference)
        if caller is None or caller.status != ParticipantStatus.JOINED:
            raise ConferenceError("The caller is not on the call.")
        if caller.on_hold:
            raise ConferenceError("The caller is on hold already.")
        self.update_leg(conference, caller, hold=True, hold_method="POST",
                        hold_url=self.urls.hold(conference.id, minutes))
        caller.on_hold = True
        caller.held_at = now
        record(session, conference, "hold", f"{actor} put the caller on hold for about "
               f"{minutes} min (the caller agreed)", actor=actor, minutes=minutes)
        return f"The caller is on hold (about {minutes} min). Thank them when you are back."

    def resume(self, session: Session, conference: Conference, actor: str,
               now: datetime) -> str:
        """Take the caller off hold."""
        caller = caller_leg(session, conference)
        if caller is None or not caller.on_hold:
            raise ConferenceError("The caller is not on hold.")
        self.update_leg(conference, caller, hold=False)
        held = round((now - caller.held_at).total_seconds()) if caller.held_at else 0
        caller.on_hold = False
        caller.held_at = None
        record(session, conference, "hold_resumed", f"{actor} took the caller off hold after "
               f"{held} s", actor=actor, seconds=held)
        return "The caller is back with you: thank them for holding."

    def supervise(self, session: Session, conference: Conference, lead: TeamLead, mode: str,
                  now: datetime) -> str:
        """A team lead joins a live call from their phone: to listen (muted), to whisper
        (coaching the analyst: only the analyst hears them) or to barge (a full participant).
        Already on it: their leg changes mode."""
        if mode not in SUPERVISOR_MODES:
            raise ConferenceError(f"a team lead listens, whispers or barges, not {mode[:20]!r}")
        if conference.status != ConferenceStatus.LIVE:
            raise ConferenceError("That call is not live (not started yet, or over).")
        coached = self._coached(session, conference, mode)
        mine = [p for p in participants(session, conference, ParticipantRole.SUPERVISOR,
                                        on=True) if p.user_id == lead.user_id]
        if mine:
            return self._switch(session, conference, mine[0], lead, mode, coached)
        if not lead.phone:
            raise ConferenceError("Give the number of the phone to ring you on.")
        leg = Participant(conference_id=conference.id, role=ParticipantRole.SUPERVISOR,
                          user_id=lead.user_id, mode=mode, muted=mode == "listen")
        session.add(leg)
        session.commit()
        options = _mode_options(mode, coached)
        try:
            added = self.client().conferences(conference.sid or conference.name) \
                .participants.create(
                    from_=self.line_number, to=lead.phone, label=label_of(leg), beep="false",
                    end_conference_on_exit=False, timeout=ANALYST_RING_SECONDS,
                    status_callback=self.urls.leg_status(leg.id),
                    status_callback_method="POST", status_callback_event=LEG_EVENTS,
                    **options)
        except (TwilioException, RequestException) as exc:
            leg.status = ParticipantStatus.MISSED
            session.commit()
            raise ConferenceError(f"Twilio would not ring you ({exc})") from None
        leg.call_sid = added.call_sid
        self._record_mode(session, conference, lead, mode)
        return f"Your phone rings: you will {MODE_SAID[mode]}."

    def _coached(self, session: Session, conference: Conference, mode: str) -> Participant | None:
        """The analyst a whisper coaches (the last one who joined)."""
        if mode != "whisper":
            return None
        analysts = [p for p in participants(session, conference, ParticipantRole.ANALYST)
                    if p.status == ParticipantStatus.JOINED and p.call_sid]
        if not analysts:
            raise ConferenceError("No analyst is on that call to coach.")
        return analysts[-1]

    def _switch(self, session: Session, conference: Conference, leg: Participant,
                lead: TeamLead, mode: str, coached: Participant | None) -> str:
        if leg.mode == mode:
            raise ConferenceError(f"You {MODE_SAID[mode]} already.")
        options = _mode_options(mode, coached)
        if mode != "whisper":
            options["coaching"] = False
        self.update_leg(conference, leg, **options)
        leg.mode = mode
        leg.muted = mode == "listen"
        self._record_mode(session, conference, lead, mode)
        return f"You {MODE_SAID[mode]} now."

    def _record_mode(self, session: Session, conference: Conference, lead: TeamLead,
                     mode: str) -> None:
        record(session, conference, f"supervisor_{mode}", f"{lead.name} (team lead) "
               f"{MODE_DONE[mode]}", actor=lead.name, mode=mode, user_id=lead.user_id)

    def redirect_caller(self, call_sid: str, url: str) -> bool:
        """Move the caller's call to ``url`` (out of the conference)."""
        try:
            self.client().calls(call_sid).update(url=url, method="POST")
        except (TwilioException, RequestException) as exc:
            log.warning("moving a caller out of their conference failed: %s", exc)
            return False
        return True

