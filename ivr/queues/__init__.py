"""The live queues. A pure core (routing, estimator, hold: no database, no web) decides; around
it, ``lineup`` reads the rows as the core sees them, ``service`` and ``agents`` change queue
entries and analysts (each the one owner of its row's status), and ``bridge`` puts callers
through to analysts via Twilio. Nothing here imports Flask."""
