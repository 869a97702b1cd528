"""Outgoing webhooks (issue 16, item 3): signed POSTs to administrators' endpoints, from an outbox.

The event catalogue, what each payload carries and how to emit one: see services.py.
"""
