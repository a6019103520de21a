"""Test-control state kept in memory: injected faults, the request log and counters."""

from __future__ import annotations

import bisect
import itertools
import threading
from dataclasses import dataclass, field

from sandbox_emulator.errors import invalid
from sandbox_emulator.schema import BINDING, List, coerce

ROUTES = (
    "/managed-runners",
    "/managed-runners/{id}",
    "/managed-runners/{id}/apply-update",
    "/profile-templates",
    "/profile-templates/{id}",
)
METHODS = ("GET", "POST", "PATCH", "DELETE", "PUT")
MAX_LOG = 10_000


@dataclass
class Fault:
    id: str
    method: str
    route: str
    count: int
    status: int | None
    retry_after: float | None
    drop: bool
    delay: float
    when: str
    message: str
    replace_bindings: list | None

    def as_json(self) -> dict:
        return {
            "id": self.id,
            "method": self.method,
            "route": self.route,
            "count": self.count,
            "status": self.status,
            "retryAfter": self.retry_after,
            "drop": self.drop,
            "delay": self.delay,
            "when": self.when,
            "message": self.message,
            "replaceBindings": self.replace_bindings,
        }


def _number(body: dict, key: str, default, minimum: float = 0):
    value = body.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
        raise invalid(f"{key} must be a number not below {minimum}", key)
    return value


@dataclass
class Control:
    lock: threading.Lock = field(default_factory=threading.Lock)
    faults: list[Fault] = field(default_factory=list)
    log: list[dict] = field(default_factory=list)
    total: int = 0
    writes: int = 0
    injected: int = 0
    by_route: dict = field(default_factory=dict)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _seq: itertools.count = field(default_factory=lambda: itertools.count(1))

    def reset(self) -> None:
        with self.lock:
            self.faults.clear()
            self.log.clear()
            self.total = self.writes = self.injected = 0
            self.by_route.clear()
            self._seq = itertools.count(1)

    def add_fault(self, body: dict) -> Fault:
        method = str(body.get("method", "*")).upper()
        if method != "*" and method not in METHODS:
            raise invalid(f"method must be one of *, {', '.join(METHODS)}", "method")
        route = body.get("route", "*")
        if route != "*" and route not in ROUTES:
            raise invalid(f"route must be * or one of {', '.join(ROUTES)}", "route")
        count = _number(body, "count", 1, 1)
        if not isinstance(count, int):
            raise invalid("count must be an integer", "count")
        status = body.get("status")
        if status is not None and (isinstance(status, bool) or not isinstance(status, int) or not 400 <= status < 600):
            raise invalid("status must be an HTTP error status between 400 and 599", "status")
        when = body.get("when", "before")
        if when not in ("before", "after"):
            raise invalid('when must be "before" or "after"', "when")
        drop = body.get("drop", False)
        if not isinstance(drop, bool):
            raise invalid("drop must be a boolean", "drop")
        message = body.get("message") or ""
        if not isinstance(message, str):
            raise invalid("message must be a string", "message")
        bindings = body.get("replaceBindings")
        if bindings is not None:
            bindings = coerce(bindings, List(BINDING), "replaceBindings")
        with self.lock:
            fault = Fault(
                id=f"fault-{next(self._ids)}",
                method=method,
                route=route,
                count=count,
                status=status,
                retry_after=_number(body, "retryAfter", None),
                drop=drop,
                delay=_number(body, "delay", 0.0),
                when=when,
                message=message,
                replace_bindings=bindings,
            )
            self.faults.append(fault)
        return fault

    def take_fault(self, method: str, route: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.method in ("*", method) and fault.route in ("*", route):
                    fault.count -= 1
                    if fault.count <= 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def arrival(self) -> int:
        """The sequence number of a request that just arrived: the log is kept in arrival order."""
        with self.lock:
            return next(self._seq)

    def record(self, entry: dict) -> None:
        with self.lock:
            if "seq" not in entry:
                entry["seq"] = next(self._seq)
            # a request that finishes late (a delay, a dropped connection) still takes its place of arrival
            bisect.insort(self.log, entry, key=lambda item: item["seq"])
            if len(self.log) > MAX_LOG:
                del self.log[: len(self.log) - MAX_LOG]
            self.total += 1
            if entry["method"] != "GET":
                self.writes += 1
            if entry["fault"]:
                self.injected += 1
            key = f"{entry['method']} {entry['route']}"
            self.by_route[key] = self.by_route.get(key, 0) + 1

    def counters(self) -> dict:
        with self.lock:
            return {"total": self.total, "writes": self.writes, "faults": self.injected, "byRoute": dict(self.by_route)}

    def requests(self) -> list[dict]:
        with self.lock:
            return [dict(entry) for entry in self.log]
