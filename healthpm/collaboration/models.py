from dataclasses import dataclass, field

from django.conf import settings
from django.db import models
from django.utils import timezone

MAX_COMMENT_LENGTH = 4000


class Comment(models.Model):
    """One version of a comment on a gate. Never edited in place: an edit writes a new row that
    supersedes the previous one (`supersedes`, `superseded_at`), so every version stays readable,
    like evidence. `first` is the thread's first version (None on the first version itself), so a
    comment keeps its place in the thread however often it is edited."""

    gate = models.ForeignKey("gates.Gate", on_delete=models.PROTECT, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    version = models.PositiveIntegerField(default=1)
    first = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    supersedes = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="superseded_by")
    superseded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"Comment by {self.author} on {self.gate} (v{self.version})"

    @property
    def thread_id(self) -> int:
        return self.first_id or self.pk

    @property
    def anchor(self) -> str:
        """The page anchor of the comment, the same for every version (links stay valid after an edit)."""
        return f"comment-{self.thread_id}"

    def snapshot(self) -> dict:
        return {"gate": self.gate.key, "version": self.version, "body": self.body}


@dataclass
class Thread:
    """One comment as shown: its current version and the earlier ones, newest first."""

    current: Comment
    earlier: list[Comment] = field(default_factory=list)

    @property
    def edited(self) -> bool:
        return bool(self.earlier)

    @property
    def posted_at(self):
        """When the comment was first posted (its place in the thread)."""
        return self.earlier[-1].created_at if self.earlier else self.current.created_at


def _threads(comments) -> list[Thread]:
    threads: dict[int, list[Comment]] = {}
    for comment in comments:
        threads.setdefault(comment.thread_id, []).append(comment)
    shown = []
    for versions in threads.values():
        versions.sort(key=lambda c: c.version, reverse=True)
        shown.append(Thread(current=versions[0], earlier=versions[1:]))
    return shown


def comment_threads(gate) -> list[Thread]:
    """The gate's comments in the order first posted, each with its earlier versions (one query)."""
    return _threads(Comment.objects.filter(gate=gate).select_related("author").order_by("pk"))


def threads_by_gate(initiative) -> dict[int, list[Thread]]:
    """Every gate's comment threads of the initiative, by gate id (one query: the dossier)."""
    by_gate: dict[int, list[Comment]] = {}
    for comment in Comment.objects.filter(gate__initiative=initiative).select_related("author").order_by("pk"):
        by_gate.setdefault(comment.gate_id, []).append(comment)
    return {gate_id: _threads(comments) for gate_id, comments in by_gate.items()}
