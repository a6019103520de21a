"""google.rpc.Status errors."""

from __future__ import annotations

CODE_NAMES = {
    3: "INVALID_ARGUMENT",
    5: "NOT_FOUND",
    6: "ALREADY_EXISTS",
    7: "PERMISSION_DENIED",
    8: "RESOURCE_EXHAUSTED",
    9: "FAILED_PRECONDITION",
    12: "UNIMPLEMENTED",
    13: "INTERNAL",
    14: "UNAVAILABLE",
    16: "UNAUTHENTICATED",
}

# HTTP status -> gRPC code, for injected faults and generic errors.
HTTP_TO_CODE = {
    400: 3,
    401: 16,
    403: 7,
    404: 5,
    405: 12,
    409: 6,
    413: 3,
    429: 8,
    499: 1,
    500: 13,
    501: 12,
    502: 14,
    503: 14,
    504: 4,
}

BAD_REQUEST = "type.googleapis.com/google.rpc.BadRequest"
RESOURCE_INFO = "type.googleapis.com/google.rpc.ResourceInfo"
PRECONDITION_FAILURE = "type.googleapis.com/google.rpc.PreconditionFailure"

RESOURCE_TYPES = {
    "runner": "sandbox.coreweave.com/ManagedRunner",
    "profile_template": "sandbox.coreweave.com/ProfileTemplate",
}


def code_for_status(status: int) -> int:
    if status in HTTP_TO_CODE:
        return HTTP_TO_CODE[status]
    if 500 <= status < 600:
        return 13
    return 2


class ApiError(Exception):
    """An error answered to the client as a google.rpc.Status body."""

    def __init__(self, status: int, code: int, message: str, details: list | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or []

    def body(self) -> dict:
        return {"code": self.code, "message": self.message, "details": self.details}


def invalid(message: str, field: str | None = None) -> ApiError:
    """400 INVALID_ARGUMENT with a BadRequest field violation."""
    details = []
    if field:
        details.append({"@type": BAD_REQUEST, "fieldViolations": [{"field": field, "description": message}]})
    return ApiError(400, 3, message, details)


def not_found(resource: str, name: str) -> ApiError:
    kind = resource.replace("_", " ")
    return ApiError(
        404,
        5,
        f'{kind} "{name}" not found',
        [{"@type": RESOURCE_INFO, "resourceType": RESOURCE_TYPES[resource], "resourceName": name}],
    )


def already_exists(resource: str, name: str, message: str) -> ApiError:
    return ApiError(
        409,
        6,
        message,
        [{"@type": RESOURCE_INFO, "resourceType": RESOURCE_TYPES[resource], "resourceName": name}],
    )


def precondition(message: str, subject: str, kind: str = "STATE") -> ApiError:
    return ApiError(
        400,
        9,
        message,
        [{"@type": PRECONDITION_FAILURE, "violations": [{"type": kind, "subject": subject, "description": message}]}],
    )
