"""Tickets, calls and the queue settings of an office."""
