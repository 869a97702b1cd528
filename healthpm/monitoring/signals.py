"""Domain events of live monitoring, sent inside the service's transaction (for webhooks and
the like to connect to in their AppConfig.ready())."""

from django.dispatch import Signal

# A sample crossed what a gate approved. kwargs: breach (Breach), initiative.
metric_breached = Signal()
# Compliance approved every re-opened gate again; the pause is lifted. kwargs: initiative, by.
initiative_unpaused = Signal()
# A metric's cadence passed without a sample (sent once a metric a day, with its reminder).
# kwargs: initiative, metric (plan.Metric), last_end (date or None), since (date), due (date).
metric_stale = Signal()
