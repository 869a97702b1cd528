"""Domain events of the final decision, sent inside the signing transaction (like the gates' signals)."""

from django.dispatch import Signal

# An initiative's final decision (approved or rejected) was signed. kwargs: initiative, signature.
final_decision = Signal()
