from django.apps import AppConfig


class CollaborationConfig(AppConfig):
    """Working together on a gate (issue 13): who fills it, who is asked to review it, and its
    comment thread with @mentions. The gate's assignee and requested reviewer are fields of
    gates.Gate; comments are this app's model."""

    name = "healthpm.collaboration"
    label = "collaboration"
