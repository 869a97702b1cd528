"""How every stored file leaves healthpm: through a view that has already checked access.

Evidence may contain PHI and a dossier carries signatures, so a download is always an
attachment (never rendered inline, so a crafted file cannot run as a page of ours), never
content-sniffed by the browser, and never kept by a shared cache.
"""

from django.http import FileResponse


def attachment(handle, *, filename: str, content_type: str) -> FileResponse:
    response = FileResponse(handle, as_attachment=True, filename=filename,
                            content_type=content_type or "application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
