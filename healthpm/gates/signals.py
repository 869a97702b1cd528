"""Domain events of the gates, sent inside the service's transaction (receivers that write
do so in the same transaction, so the portfolio is never stale; mail is queued after commit).

The write side never imports the read side: the dashboard and the notifications connect
to these in their `AppConfig.ready()`.
"""

from django.dispatch import Signal

# A gate's structured answers were stored. kwargs: gate, initiative.
gate_data_saved = Signal()
# A gate was sent to compliance. kwargs: gate, initiative, by.
gate_submitted = Signal()
# A compliance officer approved or rejected a submitted gate.
# kwargs: gate, initiative, decision (GateDecision), submitted_at (of the submission decided).
gate_decided = Signal()
# An initiative was moved to another checklist version (gates added). kwargs: initiative.
checklist_changed = Signal()
