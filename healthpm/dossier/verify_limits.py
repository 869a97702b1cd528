"""Verification that stays quiet and bounded (issue 17 part 6): a per-user rate limit, and
repeated verifications of one file written to the audit trail as one event.

Both keep their state in Django's default cache: Redis shared by every web process when
CACHE_URL is set (production), per-process memory otherwise (the demo, the tests).

**Rate limit** (`verify_wait`): HEALTHPM_VERIFY_PER_MINUTE verifications per user per clock
minute, counted with `cache.add` + `cache.incr` (atomic on Redis and in memory, so parallel
web processes cannot both take the last one). The web page and the API share one count per
user. A refused request costs one counter increment and is not verified or recorded.

**Aggregated audit events** (`record_user_verification`). A scanner or a nervous user
re-uploading one file would otherwise write an event per upload (2,010 in ten minutes). So:

1. The first verification of a (user, SHA-256, verdict) opens a window of REPEAT_WINDOW and is
   written at once as `dossier_verified`: the trail always shows that this user checked this
   file with this answer, at the time it first happened.
2. Repeats of the same triple inside the window write nothing; they are counted in the cache
   (`incr` on a counter keyed by the window, so concurrent repeats are all counted) along with
   the time of the last one.
3. When the window has closed, its repeats are written as ONE `dossier_verifications_repeated`
   event: count, first and last time, verdict and SHA-256, by the same user. This happens at
   the next verification by anyone (`flush_due`) and, so a quiet deployment does not hold
   counts forever, every minute from Celery beat (`dossier.tasks.flush_verification_repeats`).
   A window is flushed once: the flusher claims it with `cache.add` first.

Why not one event at the first repeat, or an event per N repeats? The count is only known
when the window closes; an event per N leaves the remainder unwritten. Why not a table? The
counts are transient and per process in the demo; an append-only trail plus a cache keeps the
schema unchanged. What can still be lost is said out loud rather than silently: a window whose
counter the cache evicted before the flush is written with `"count": null, "lost": true`; a
repeat that cannot register its window (the index's lock stayed taken) is written as its own
`dossier_verified`. Only losing the cache's index of open windows itself (a Redis restart
without persistence) loses repeat counts, never a first verification.
"""

import time
from contextlib import contextmanager
from datetime import UTC, datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache

from healthpm.audit.services import record

REPEAT_WINDOW = 10 * 60  # seconds; one event per (user, file, verdict) per ten minutes
_KEEP = REPEAT_WINDOW * 6  # cache entries outlive their window until a flush has surely run
_INDEX = "verify-tally:open"
_INDEX_LOCK = "verify-tally:lock"


# --- the rate limit -------------------------------------------------------------------------
def verify_wait(user, *, now: float | None = None) -> int | None:
    """Count one verification by `user`; None when allowed, else the seconds until the next
    minute, when they may verify again (for Retry-After)."""
    now = time.time() if now is None else now
    minute = int(now // 60)
    key = f"verify-rate:{user.pk}:{minute}"
    cache.add(key, 0, timeout=120)
    try:
        used = cache.incr(key)
    except ValueError:  # expired between add and incr: the minute just turned
        cache.add(key, 1, timeout=120)
        used = 1
    if used <= settings.HEALTHPM_VERIFY_PER_MINUTE:
        return None
    return max(1, 60 * (minute + 1) - int(now))


def too_many_message(wait: int) -> str:
    return (f"Too many verifications: at most {settings.HEALTHPM_VERIFY_PER_MINUTE} a minute per person. "
            f"Nothing was checked or recorded for this file; try again in {wait} seconds.")


# --- aggregated audit events ----------------------------------------------------------------
def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")


@contextmanager
def _index_lock():
    """A short mutual exclusion over the index of open windows (cache.add is atomic); yields
    False when it stayed taken for two seconds (a holder that died frees it after ten)."""
    for _ in range(100):
        if cache.add(_INDEX_LOCK, 1, timeout=10):
            try:
                yield True
            finally:
                cache.delete(_INDEX_LOCK)
            return
        time.sleep(0.02)
    yield False


def record_user_verification(result, *, by, now: float | None = None) -> None:
    """Write a web or API user's verification to the audit trail, aggregating repeats (steps 1–3
    of the module docstring)."""
    now = time.time() if now is None else now
    flush_due(now=now)
    triple = f"verify-tally:{by.pk}:{result.sha256}:{result.verdict}"
    window = cache.get(triple)
    if window is not None and now >= window["opened"] + REPEAT_WINDOW:
        cache.delete(triple)  # closed: flush_due above has written its repeats, if it had any
        window = None
    if window is None:
        window = {"opened": now, "counter": f"{triple}:{now:.6f}"}
        if cache.add(triple, window, timeout=_KEEP):
            _first_event(result, by)
            return
        window = cache.get(triple) or window  # a parallel request opened it first: this is a repeat
    counter = window["counter"]
    cache.add(counter, 0, timeout=_KEEP)
    cache.incr(counter)
    cache.set(f"{counter}:last", now, timeout=_KEEP)
    if cache.get(f"{counter}:indexed") is None:  # the window's first repeat (or an earlier try failed)
        with _index_lock() as locked:
            if not locked:  # rather this one as its own event than a count nobody will flush
                cache.decr(counter)
                _first_event(result, by)
                return
            index = cache.get(_INDEX) or {}
            index[counter] = {"closes": window["opened"] + REPEAT_WINDOW, "opened": window["opened"],
                              "user": by.pk, "sha256": result.sha256, "verdict": result.verdict,
                              "dossier": result.dossier.pk if result.dossier else None}
            cache.set(_INDEX, index, timeout=None)
            cache.set(f"{counter}:indexed", 1, timeout=_KEEP)


def _first_event(result, by) -> None:
    record("dossier_verified", actor=by, obj=result.dossier,
           initiative=result.dossier.initiative if result.dossier else None,
           after={"verdict": result.verdict, "sha256": result.sha256})


def flush_due(*, now: float | None = None) -> int:
    """Write one `dossier_verifications_repeated` event per window that has closed; return how
    many. Cheap when nothing is due: one cache read."""
    from healthpm.dossier.models import Dossier

    now = time.time() if now is None else now
    index = cache.get(_INDEX) or {}
    if not any(entry["closes"] <= now for entry in index.values()):
        return 0
    written = 0
    with _index_lock() as locked:
        if not locked:
            return 0  # another process is flushing; whatever it leaves, the next flush writes
        index = cache.get(_INDEX) or {}
        due = {counter: entry for counter, entry in index.items() if entry["closes"] <= now}
        for counter, entry in due.items():
            if not cache.add(f"{counter}:flushed", 1, timeout=_KEEP):
                continue  # another flusher wrote it
            count, last = cache.get(counter), cache.get(f"{counter}:last")
            user = get_user_model().objects.filter(pk=entry["user"]).first()
            dossier = (Dossier.objects.select_related("initiative").filter(pk=entry["dossier"]).first()
                       if entry["dossier"] else None)
            after = {"verdict": entry["verdict"], "sha256": entry["sha256"], "count": count,
                     "first": _iso(entry["opened"]), "last": _iso(last) if last else None,
                     "window_seconds": REPEAT_WINDOW}
            if count is None:
                after["lost"] = True  # the cache evicted the counter: say so rather than write nothing
            record("dossier_verifications_repeated", actor=user, obj=dossier,
                   initiative=dossier.initiative if dossier else None, after=after)
            written += 1
        if due:
            cache.set(_INDEX, {c: e for c, e in index.items() if c not in due}, timeout=None)
    return written
