from drf_spectacular.utils import OpenApiResponse

from ..errors import PROBLEM
from ..serializers import ProblemSerializer

_WORDS = {400: "Invalid input: each refused field is named in `errors`.", 401: "No valid token.",
          403: "The token lacks the scope, or its owner the role.", 404: "Not found, or not visible to this token.",
          409: "The gate refuses it now (under review, or the initiative is locked).",
          422: "The Idempotency-Key was used for a different request.", 429: "Rate limit reached; see Retry-After."}


def problems(*codes: int) -> dict:
    """The problem+json answers of an operation, for the schema."""
    return {(code, PROBLEM): OpenApiResponse(ProblemSerializer, description=_WORDS[code])
            for code in (401, 403, 429, *codes)}
