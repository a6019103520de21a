# Copyright (c) 2026, coreweave.sandbox contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""HTTP client for the CoreWeave Sandboxes control plane (v1beta2).

One ``requests`` session per module run. Idempotent requests (GET, DELETE, PATCH) are retried by
urllib3 on 429/5xx answers, connection errors and read timeouts, with capped exponential backoff,
jitter and ``Retry-After``. A POST is never resent blindly: after an answer whose outcome is unknown
the caller's ``recover`` function looks the resource up, and the POST is repeated only when the
first attempt did not land.
"""

from __future__ import annotations

import json
import random
import time
import traceback
from urllib.parse import quote

try:
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry

    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError:
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()
    Retry = object

API_PREFIX = "/v1beta2/sandbox"
DEFAULT_ENDPOINT = "https://api.coreweave.com"
COLLECTION_VERSION = "0.1.0"
USER_AGENT = "coreweave.sandbox-ansible/" + COLLECTION_VERSION

RETRY_STATUSES = (429, 500, 502, 503, 504)
IDEMPOTENT_METHODS = frozenset(("GET", "DELETE", "PATCH"))
BACKOFF_FACTOR = 0.5
BACKOFF_MAX = 8.0
PAGE_SIZE = 100
MASKED = "********"

GRPC_CODE_NAMES = {
    0: "OK",
    1: "CANCELLED",
    2: "UNKNOWN",
    3: "INVALID_ARGUMENT",
    4: "DEADLINE_EXCEEDED",
    5: "NOT_FOUND",
    6: "ALREADY_EXISTS",
    7: "PERMISSION_DENIED",
    8: "RESOURCE_EXHAUSTED",
    9: "FAILED_PRECONDITION",
    10: "ABORTED",
    11: "OUT_OF_RANGE",
    12: "UNIMPLEMENTED",
    13: "INTERNAL",
    14: "UNAVAILABLE",
    15: "DATA_LOSS",
    16: "UNAUTHENTICATED",
}


class SandboxApiError(Exception):
    """A failed API call, in the one shape every module reports.

    ``status`` is the HTTP status (``None`` when no answer arrived), ``code`` the gRPC code of the
    ``google.rpc.Status`` body, ``message`` the API's own message, shown verbatim.
    """

    def __init__(
        self,
        method,
        route,
        message,
        status=None,
        code=None,
        details=None,
        attempts=1,
        retryable=False,
        retry_after=None,
        outcome_unknown=False,
    ):
        self.method = method
        self.route = route
        self.message = message
        self.status = status
        self.code = code
        self.details = details or []
        self.attempts = attempts
        self.retryable = retryable
        self.retry_after = retry_after
        # set when an earlier attempt of the same request may have been applied
        self.outcome_unknown = outcome_unknown
        super().__init__(self.summary())

    @property
    def refused(self):
        """Whether the API answered that it did not apply the request (3xx, or 4xx but 408 and 429)."""
        if self.outcome_unknown or self.status is None:
            return False
        return 300 <= self.status < 500 and self.status not in (408, 429)

    @property
    def code_name(self):
        if self.code is None:
            return None
        return GRPC_CODE_NAMES.get(self.code, str(self.code))

    def summary(self):
        if self.status is None:
            what = self.message
        else:
            what = f"HTTP {self.status}"
            if self.code_name:
                what += " " + self.code_name
            what += ": " + self.message
        text = f"{self.method} {self.route} failed: {what}"
        if self.attempts > 1:
            text += f" (after {self.attempts} attempts)"
        return text

    def to_result(self):
        return {
            "msg": self.summary(),
            "error": {
                "method": self.method,
                "route": self.route,
                "status": self.status,
                "code": self.code_name,
                "message": self.message,
                "details": self.details,
                "attempts": self.attempts,
            },
        }


if HAS_REQUESTS:

    class _CappedRetry(Retry):
        """urllib3 retry policy whose waits, ``Retry-After`` included, never exceed ``BACKOFF_MAX``."""

        def parse_retry_after(self, retry_after):
            return min(super().parse_retry_after(retry_after), BACKOFF_MAX)


def _build_retry(retries):
    options = {
        "total": retries,
        "connect": retries,
        "read": retries,
        "status": retries,
        "other": 0,
        "redirect": 0,
        "backoff_factor": BACKOFF_FACTOR,
        "status_forcelist": RETRY_STATUSES,
        "allowed_methods": IDEMPOTENT_METHODS,
        "respect_retry_after_header": True,
        "raise_on_status": False,
        "raise_on_redirect": False,
    }
    # urllib3 2.x caps and jitters the backoff itself; 1.26 only knows the fixed factor.
    for name, value in (("backoff_max", BACKOFF_MAX), ("backoff_jitter", BACKOFF_FACTOR)):
        try:
            _CappedRetry(**dict(options, **{name: value}))
            options[name] = value
        except TypeError:
            pass
    return _CappedRetry(**options)


def backoff_delay(attempt, retry_after=None):
    """Seconds to wait before attempt ``attempt + 1`` of a POST: capped exponential with jitter."""
    if retry_after is not None:
        return min(retry_after, BACKOFF_MAX)
    base = min(BACKOFF_MAX, BACKOFF_FACTOR * (2 ** (attempt - 1)))
    return base * random.uniform(0.5, 1.0)


class SandboxClient:
    """Talks to ``<endpoint>/v1beta2/sandbox`` with a bearer token; one instance per module run."""

    def __init__(self, endpoint, token, validate_certs=True, ca_path=None, timeout=30.0, retries=5, log=None):
        endpoint = endpoint.rstrip("/")
        if endpoint.endswith(API_PREFIX):
            # a URL copied with the version prefix: the client adds the prefix itself
            endpoint = endpoint[: -len(API_PREFIX)]
        self.base_url = endpoint + API_PREFIX
        self.token = token
        self.timeout = timeout
        self.retries = max(0, retries)
        self._log = log
        self.session = requests.Session()
        self.session.headers.update(
            {
                "Authorization": "Bearer " + token,
                "Accept": "application/json",
                "User-Agent": USER_AGENT,
            }
        )
        self.session.verify = ca_path if (validate_certs and ca_path) else bool(validate_certs)
        adapter = HTTPAdapter(max_retries=_build_retry(self.retries))
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)

    def scrub(self, text):
        """``text`` with the token masked, whatever the API or a library echoed back."""
        if not isinstance(text, str):
            text = str(text)
        if self.token:
            for form in (self.token, repr(self.token)[1:-1]):
                text = text.replace(form, MASKED)
        return text

    def _scrub_data(self, data):
        if isinstance(data, dict):
            return {k: self._scrub_data(v) for k, v in data.items()}
        if isinstance(data, list):
            return [self._scrub_data(v) for v in data]
        if isinstance(data, str):
            return self.scrub(data)
        return data

    def _debug(self, text):
        if self._log is not None:
            self._log(self.scrub(text))

    def request(self, method, route, body=None, params=None):
        """Send one request (urllib3 retries idempotent ones) and return the decoded JSON answer."""
        url = self.base_url + route
        self._debug("{} {} params={} body={}".format(method, route, params, json.dumps(body) if body else "-"))
        try:
            response = self.session.request(
                method,
                url,
                json=body,
                params=params,
                timeout=self.timeout,
                allow_redirects=False,
                # given per request: requests lets REQUESTS_CA_BUNDLE override the session's own setting
                verify=self.session.verify,
            )
        except requests.exceptions.RequestException as exc:
            attempts = self.retries + 1 if method in IDEMPOTENT_METHODS else 1
            if isinstance(exc, requests.exceptions.ConnectionError) and "Max retries" not in str(exc):
                attempts = 1
            kind = "timed out" if isinstance(exc, requests.exceptions.Timeout) else "connection failed"
            if isinstance(exc, requests.exceptions.SSLError):
                kind = "TLS verification failed (see validate_certs and ca_path)"
            raise SandboxApiError(
                method,
                route,
                self.scrub(f"{kind}: {_exception_reason(exc)}"),
                attempts=attempts,
                retryable=True,
            ) from None
        return self._handle_response(method, route, response)

    def _handle_response(self, method, route, response):
        history = getattr(getattr(response.raw, "retries", None), "history", None) or ()
        attempts = 1 + len(history)
        status = response.status_code
        self._debug(f"{method} {route} -> HTTP {status} after {attempts} attempt(s)")
        if 300 <= status < 400:
            raise SandboxApiError(
                method,
                route,
                "the server answered with a redirect to "
                + self.scrub(response.headers.get("Location", "(no location)"))
                + "; redirects are never followed",
                status=status,
                attempts=attempts,
            )
        try:
            data = response.json() if response.content else {}
        except ValueError:
            data = None
        if status >= 400:
            code = message = None
            details = []
            if isinstance(data, dict):
                code = data.get("code") if isinstance(data.get("code"), int) else None
                message = data.get("message")
                details = data.get("details") or []
            if not message:
                message = (response.text or response.reason or "no message").strip()[:500]
            message = _permission_hint(method, status, message)
            raise SandboxApiError(
                method,
                route,
                self.scrub(message),
                status=status,
                code=code,
                details=self._scrub_data(details),
                attempts=attempts,
                retryable=status in RETRY_STATUSES,
                retry_after=_parse_retry_after(response.headers.get("Retry-After")),
            )
        if not isinstance(data, dict):
            raise SandboxApiError(method, route, "the answer is not a JSON object", status=status, attempts=attempts)
        return data

    def get(self, route, params=None):
        return self.request("GET", route, params=params)

    def get_or_none(self, route):
        """GET a resource, ``None`` when the API answers 404."""
        try:
            return self.get(route)
        except SandboxApiError as err:
            if err.status == 404:
                return None
            raise

    def patch(self, route, body):
        return self.request("PATCH", route, body=body)

    def delete(self, route):
        """DELETE a resource; ``False`` when it was already gone (404), ``True`` otherwise."""
        try:
            self.request("DELETE", route)
        except SandboxApiError as err:
            if err.status == 404:
                return False
            raise
        return True

    def post(self, route, body, recover):
        """POST without ever creating twice.

        After an answer whose outcome is unknown (429, 5xx, dropped connection, timeout) ``recover()``
        is called; it returns the resource when the earlier attempt landed (it is then adopted) or
        ``None``, and the POST is sent again, up to ``retries`` more times.
        """
        attempt = 0
        while True:
            attempt += 1
            try:
                return self.request("POST", route, body=body)
            except SandboxApiError as err:
                if attempt > 1 and err.status == 409:
                    # The key exists although the look-up missed it: most likely the earlier attempt landed and
                    # reads lag behind; look again before giving up.
                    landed = self._recover_after_conflict(recover, attempt)
                    if landed is not None:
                        return landed
                if not err.retryable or attempt > self.retries:
                    raise SandboxApiError(
                        err.method,
                        err.route,
                        err.message,
                        status=err.status,
                        code=err.code,
                        details=err.details,
                        attempts=attempt,
                        outcome_unknown=attempt > 1,
                    ) from None
                time.sleep(backoff_delay(attempt, err.retry_after))
            landed = recover()
            if landed is not None:
                self._debug(f"POST {route}: the earlier attempt landed; adopting the resource")
                return landed

    def _recover_after_conflict(self, recover, attempt):
        for look in range(1, 4):
            landed = recover()
            if landed is not None:
                self._debug("POST: the resource exists after an earlier attempt; adopting it")
                return landed
            time.sleep(backoff_delay(attempt + look))
        return None

    def find(self, route, key, field, value, alternate_keys=()):
        """The item of collection ``route`` whose wire ``field`` equals ``value``, ``None`` when there is none.

        The API resolves ``{id}`` in an item path as a UUID first, then as the resource's name; the item
        answered is checked, and when it is another one (a name that is some other item's UUID) every page
        of the list is searched instead.
        """
        found = self.get_or_none(route + "/" + quote(value, safe=""))
        if found is None or found.get(field) == value:
            return found
        return next((item for item in self.list_all(route, key, alternate_keys) if item.get(field) == value), None)

    def list_all(self, route, key, alternate_keys=()):
        """Every item of a list endpoint, following ``nextPageToken`` to the last page."""
        items = []
        token = ""
        seen = set()
        while True:
            params = {"pageSize": PAGE_SIZE}
            if token:
                params["pageToken"] = token
            data = self.get(route, params=params)
            page = data.get(key)
            if page is None:
                page = next((data[k] for k in alternate_keys if k in data), [])
            items.extend(page or [])
            token = data.get("nextPageToken") or ""
            if not token:
                return items
            if token in seen:
                raise SandboxApiError("GET", route, "the API returned the same page token twice; stopping")
            seen.add(token)


def _permission_hint(method, status, message):
    """The API's 403 message, with the permission the request needs when the message does not name it."""
    if status != 403:
        return message
    needed = "SANDBOX_USER" if method == "GET" else "SANDBOX_ADMIN"
    if needed in message:
        return message
    return f"{message} (the token lacks {needed}, which this request needs)"


def _parse_retry_after(value):
    """Seconds from a ``Retry-After`` header given in seconds; ``None`` for a date or garbage."""
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        return None


def _exception_reason(exc):
    reason = exc
    seen = 0
    while getattr(reason, "reason", None) is not None and seen < 5:
        reason = reason.reason
        seen += 1
    if reason is not exc and seen:
        return str(reason)
    if exc.args:
        inner = exc.args[0]
        inner_reason = getattr(inner, "reason", None)
        if inner_reason is not None:
            return str(inner_reason)
        return str(inner)
    return exc.__class__.__name__
