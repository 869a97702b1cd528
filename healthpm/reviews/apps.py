from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    """The compliance officers' review queue (/reviews/), its SLA and the overdue reminder."""

    name = "healthpm.reviews"
    label = "reviews"
