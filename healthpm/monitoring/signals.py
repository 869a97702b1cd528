"""Domain events of live monitoring, sent inside the service's transaction (for webhooks and
the like to connect to in their AppConfig.ready())."""

from django.dispatch import Signal

# A sample crossed what a gate approved. kwargs: breach (Breach), initiative.
metric_breached = Signal()
# Compliance approved every re-opened gate again; the pause is lifted. kwargs: initiative, by.
initiative_unpaused = Signal()
