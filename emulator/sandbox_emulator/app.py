"""The WSGI application: authentication, routing, faults, request log and the test-control interface."""

from __future__ import annotations

import json
import logging
import math
import socket
import time

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from sandbox_emulator import API_PREFIX
from sandbox_emulator.config import Config
from sandbox_emulator.control import Control
from sandbox_emulator.errors import CODE_NAMES, ApiError, code_for_status
from sandbox_emulator.service import Service
from sandbox_emulator.store import Store

MAX_BODY = 1024 * 1024
CONTROL_PREFIX = "/_emulator"
log = logging.getLogger("sandbox_emulator")

API_ROUTES = Map(
    [
        Rule("/managed-runners", endpoint="/managed-runners"),
        Rule("/managed-runners/<ident>", endpoint="/managed-runners/{id}"),
        Rule("/managed-runners/<ident>/apply-update", endpoint="/managed-runners/{id}/apply-update"),
        Rule("/profile-templates", endpoint="/profile-templates"),
        Rule("/profile-templates/<ident>", endpoint="/profile-templates/{id}"),
    ],
    strict_slashes=False,
    merge_slashes=False,
)
CONTROL_ROUTES = Map(
    [
        Rule("/reset", endpoint="reset", methods=["POST"]),
        Rule("/state", endpoint="state", methods=["GET"]),
        Rule(
            "/runners/<ident>/<any(heartbeats, 'install-failure', 'update-available'):action>",
            endpoint="runner",
            methods=["POST"],
        ),
        Rule("/faults", endpoint="faults", methods=["GET", "POST", "DELETE"]),
        Rule("/requests", endpoint="requests", methods=["GET", "DELETE"]),
        Rule("/counters", endpoint="counters", methods=["GET"]),
        Rule("/config", endpoint="config", methods=["GET", "POST"]),
    ],
    strict_slashes=False,
    merge_slashes=False,
)
WRITE_METHODS = {"POST", "PATCH", "DELETE", "PUT"}
ALLOWED = {
    "/managed-runners": {"GET": "list_runners", "POST": "create_runner"},
    "/managed-runners/{id}": {"GET": "get_runner", "PATCH": "update_runner", "DELETE": "delete_runner"},
    "/managed-runners/{id}/apply-update": {"POST": "apply_update"},
    "/profile-templates": {"GET": "list_templates", "POST": "create_template"},
    "/profile-templates/{id}": {"GET": "get_template", "PATCH": "update_template", "DELETE": "delete_template"},
}


def _json_response(payload: object, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(payload), status=status, mimetype="application/json", headers=headers)


def _error_response(error: ApiError, headers: dict | None = None) -> Response:
    return _json_response(error.body(), error.status, headers)


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def parse_json(raw: bytes) -> object:
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise ApiError(400, 3, "request body is not valid JSON") from None


class EmulatorApp:
    def __init__(self, config: Config, store: Store | None = None):
        self.config = config
        self.store = store or Store()
        self.service = Service(config, self.store)
        self.control = Control()
        self._start_switches = self._switches()

    def _switches(self) -> dict:
        return {"listKey": self.config.list_key, "emitZeroValues": self.config.emit_zero_values}

    def _set_switches(self, body: dict) -> dict:
        unknown = sorted(set(body) - {"listKey", "emitZeroValues"})
        if unknown:
            raise ApiError(400, 3, f"config.{unknown[0]} is not a known switch")
        list_key = body.get("listKey", self.config.list_key)
        if list_key not in ("runners", "managedRunners"):
            raise ApiError(400, 3, "config.list_key must be runners or managedRunners")
        emit_zero = body.get("emitZeroValues", self.config.emit_zero_values)
        if not isinstance(emit_zero, bool):
            raise ApiError(400, 3, "config.emit_zero_values must be a boolean")
        self.config.list_key = list_key
        self.config.emit_zero_values = emit_zero
        return self._switches()

    def __call__(self, environ, start_response):
        request = Request(environ)
        if request.path == CONTROL_PREFIX or request.path.startswith(CONTROL_PREFIX + "/"):
            response = self.handle_control(request)
        else:
            response = self.handle_api(request)
        return response(environ, start_response)

    # ----- API -----------------------------------------------------------------------------------------

    def handle_api(self, request: Request) -> Response:
        started = time.perf_counter()
        entry = {
            "seq": self.control.arrival(),
            "method": request.method,
            "path": request.path,
            "route": None,
            "query": request.args.to_dict(flat=True),
            "body": None,
            "status": None,
            "durationMs": 0.0,
            "fault": False,
        }
        response = None
        try:
            response = self._api(request, entry)
        except ApiError as error:
            response = _error_response(error)
        except Exception:  # a bug must still answer a Status body
            log.exception("internal error handling %s %s", request.method, request.path)
            response = _error_response(ApiError(500, 13, "internal error"))
        duration = (time.perf_counter() - started) * 1000
        entry["durationMs"] = round(duration, 3)
        entry["status"] = None if response is None else response.status_code
        if entry["route"] is not None:
            self.control.record(entry)
        shown = "dropped" if response is None else response.status_code
        log.info("%s %s %s %.1fms", request.method, request.path, shown, duration)
        if response is None:
            return Response(b"", status=204)
        return response

    def _read_body(self, request: Request, entry: dict) -> dict:
        length = request.content_length
        if length is not None and length > MAX_BODY:
            raise ApiError(400, 3, f"request body exceeds the maximum size of {MAX_BODY} bytes")
        raw = request.stream.read(MAX_BODY + 1)
        if len(raw) > MAX_BODY:
            raise ApiError(400, 3, f"request body exceeds the maximum size of {MAX_BODY} bytes")
        if not raw.strip():
            return {}
        body = parse_json(raw)
        entry["body"] = body
        if not isinstance(body, dict):
            raise ApiError(400, 3, "request body must be a JSON object")
        return body

    def _authenticate(self, request: Request):
        header = request.headers.get("Authorization")
        if not header:
            raise ApiError(401, 16, "missing bearer token: send Authorization: Bearer <token>")
        scheme, _, value = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not value.strip() or " " in value.strip():
            raise ApiError(401, 16, 'malformed Authorization header: expected "Bearer <token>"')
        token = self.config.token(value.strip())
        if token is None:
            raise ApiError(401, 16, "invalid or unknown API token")
        return token

    def _api(self, request: Request, entry: dict) -> Response | None:
        path = request.path
        if not path.startswith(API_PREFIX + "/"):
            raise ApiError(404, 5, f'no API route for path "{path}"')
        try:
            route, args = API_ROUTES.bind("").match(path[len(API_PREFIX) :], method="GET")
        except (NotFound, MethodNotAllowed):
            raise ApiError(404, 5, f'no API route for path "{path}"') from None
        except Exception:  # werkzeug routing redirects and the like
            raise ApiError(404, 5, f'no API route for path "{path}"') from None
        ident = args.get("ident", "")
        if route == "/managed-runners/{id}" and request.method == "POST" and ident.endswith(":apply-update"):
            route, ident = "/managed-runners/{id}/apply-update", ident[: -len(":apply-update")]
        entry["route"] = route
        body_error = None
        body: dict = {}
        try:
            body = self._read_body(request, entry)
        except ApiError as error:
            body_error = error
        fault = self.control.take_fault(request.method, route) if self.config.test_control else None
        if fault is not None:
            entry["fault"] = bool(fault.status or fault.drop)
            if fault.when == "before":
                if fault.delay:
                    time.sleep(fault.delay)
                if fault.drop:
                    return self._drop(request)
                if fault.status:
                    return self._fault_response(fault)
        token = self._authenticate(request)
        handler = ALLOWED[route].get(request.method)
        if handler is None:
            raise ApiError(405, 12, f"method {request.method} is not allowed on {route}")
        if request.method in WRITE_METHODS and token.permission != "SANDBOX_ADMIN":
            raise ApiError(403, 7, "permission denied: the SANDBOX_ADMIN permission is required for this operation")
        if body_error is not None:
            raise body_error
        response = None
        try:
            result = self._dispatch(handler, token, ident, body, request)
            response = _json_response(result)
        except ApiError as error:
            if fault is None or fault.when == "before":
                raise
            response = _error_response(error)
        if fault is not None:
            if fault.replace_bindings is not None and response.status_code == 200:
                target = ident or json.loads(response.get_data()).get("id", "")
                self.service.replace_bindings(token.organization, target, fault.replace_bindings)
            if fault.when == "after":
                if fault.delay:
                    time.sleep(fault.delay)
                if fault.drop:
                    return self._drop(request)
                if fault.status:
                    return self._fault_response(fault)
        return response

    def _dispatch(self, handler: str, token, ident: str, body: dict, request: Request) -> dict:
        service = self.service
        if handler in ("list_runners", "list_templates"):
            return getattr(service, handler)(token, request.args)
        if handler in ("create_runner", "create_template"):
            return getattr(service, handler)(token, body)
        if handler in ("update_runner", "update_template"):
            return getattr(service, handler)(token, ident, body, request.args)
        if handler == "apply_update":
            return service.apply_update(token, ident, body)
        return getattr(service, handler)(token, ident)

    @staticmethod
    def _fault_response(fault) -> Response:
        code = code_for_status(fault.status)
        message = fault.message or f"injected fault: {CODE_NAMES.get(code, 'UNKNOWN').lower().replace('_', ' ')}"
        headers = {}
        if fault.retry_after is not None:
            headers["Retry-After"] = str(math.ceil(fault.retry_after))
        return _error_response(ApiError(fault.status, code, message), headers)

    @staticmethod
    def _drop(request: Request) -> None:
        sock = request.environ.get("werkzeug.socket")
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        return None

    # ----- test control --------------------------------------------------------------------------------

    def handle_control(self, request: Request) -> Response:
        if not self.config.test_control:
            return _error_response(ApiError(404, 5, "the test-control interface is disabled"))
        try:
            endpoint, args = CONTROL_ROUTES.bind("").match(request.path[len(CONTROL_PREFIX) :], method=request.method)
        except MethodNotAllowed:
            return _error_response(ApiError(405, 12, f"method {request.method} is not allowed on {request.path}"))
        except Exception:
            return _error_response(ApiError(404, 5, f'no test-control route for path "{request.path}"'))
        try:
            body = {}
            if request.method == "POST":
                raw = request.stream.read(MAX_BODY + 1)
                if len(raw) > MAX_BODY:
                    raise ApiError(400, 3, "request body is too large")
                body = parse_json(raw) if raw.strip() else {}
                if not isinstance(body, dict):
                    raise ApiError(400, 3, "request body must be a JSON object")
            return _json_response(self._control(request, endpoint, args, body))
        except ApiError as error:
            return _error_response(error)

    def _control(self, request: Request, endpoint: str, args: dict, body: dict) -> dict:
        control = self.control
        if endpoint == "reset":
            self.service.reset()
            control.reset()
            self._set_switches(self._start_switches)
            return {}
        if endpoint == "config":
            return self._set_switches(body) if request.method == "POST" else self._switches()
        if endpoint == "state":
            return self.service.dump()
        if endpoint == "runner":
            return self.service.control_runner(args["ident"], args["action"], body)
        if endpoint == "faults":
            if request.method == "POST":
                return {"id": control.add_fault(body).id}
            if request.method == "DELETE":
                with control.lock:
                    control.faults.clear()
                return {}
            with control.lock:
                return {"faults": [fault.as_json() for fault in control.faults]}
        if endpoint == "requests":
            if request.method == "DELETE":
                with control.lock:
                    control.log.clear()
                return {}
            return {"requests": control.requests()}
        return control.counters()
