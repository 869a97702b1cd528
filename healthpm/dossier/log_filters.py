"""pyHanko's difference analysis as one INFO line instead of a WARNING with a traceback (issue 17).

When a signed PDF carries a later revision (an incremental update appended after signing),
pyHanko's `StandardDiffPolicy.review_file` (logger `pyhanko.sign.diff_analysis.policies`)
logs "Error in diff operation between revision N and M" at WARNING with the
SuspiciousModification traceback, then returns that exception as its verdict. healthpm turns
the verdict into "altered" for the user; the traceback only made `verify_dossier` look broken.

`QuietDiffAnalysis` is attached to that one logger in settings.LOGGING and rewrites only that
record: INFO, one line, the exception's first line kept. Any other record of the logger — and
every other pyHanko error — passes unchanged.
"""

import logging

DIFF_LOGGER = "pyhanko.sign.diff_analysis.policies"


class QuietDiffAnalysis(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is None or type(exc).__name__ != "SuspiciousModification":
            return True
        reason = (str(exc).strip().splitlines() or [""])[0][:300]
        record.msg, record.args = "%s: %s (the file was changed after it was signed)", (record.getMessage(), reason)
        record.levelno, record.levelname = logging.INFO, "INFO"
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        # The logger let a WARNING through; an INFO line must respect its level too.
        return logging.getLogger(record.name).isEnabledFor(logging.INFO)
