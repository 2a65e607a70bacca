"""Pushes: subscribers, the outbox and its worker, cable and daily messages, publishing."""
