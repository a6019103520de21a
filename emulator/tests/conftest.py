"""Fixtures: emulators started in-process on free loopback ports, stopped at teardown."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
import requests
from werkzeug.serving import make_server

from sandbox_emulator.app import EmulatorApp
from sandbox_emulator.config import Timings, demo_config
from sandbox_emulator.store import Store

ADMIN = "demo-admin-token"
USER = "demo-user-token"
OTHER = "other-org-admin-token"
PREFIX = "/v1beta2/sandbox"
FAST = Timings(pending=0.2, provisioning=0.4, heartbeat_interval=0.1, liveness_window=0.5, deleting=0.3)


class Emulator:
    """A running emulator and a small client for it."""

    def __init__(self, **options):
        config = demo_config()
        config.timings = Timings(**vars(FAST))
        config.test_control = options.pop("test_control", True)
        for key, value in options.items():
            setattr(config, key, value)
        self.config = config
        self.app = EmulatorApp(config, Store())
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.root = f"http://127.0.0.1:{self.server.server_port}"
        self.base = self.root + PREFIX
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.http = requests.Session()

    def stop(self) -> None:
        self.http.close()
        self.server.shutdown()
        self.server.server_close()
        self.app.store.close()

    # ----- raw calls -----------------------------------------------------------------------------------

    def call(self, method: str, path: str, token: str | None = ADMIN, **kwargs) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}) or {})
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        kwargs.setdefault("timeout", 10)
        return self.http.request(method, self.base + path, headers=headers, **kwargs)

    def control(self, method: str, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", 10)
        return self.http.request(method, self.root + "/_emulator" + path, **kwargs)

    def state(self) -> dict:
        return self.control("GET", "/state").json()

    # ----- resource helpers ----------------------------------------------------------------------------

    def template(self, name: str = "default-cpu", token: str = ADMIN, **fields) -> dict:
        body = {"displayName": name, "spec": fields.pop("spec", {"containerImage": "example/img:1"})}
        body.update(fields)
        response = self.call("POST", "/profile-templates", token=token, json={"profileTemplate": body})
        assert response.status_code == 200, response.text
        return response.json()

    def runner(
        self,
        runner_id: str = "prod-east-managed",
        cluster: str = "prod-east",
        templates: list[str] | None = None,
        token: str = ADMIN,
        **fields,
    ) -> dict:
        if templates is None:
            templates = [self.template(f"tpl-{uuid.uuid4().hex[:8]}", token=token)["id"]]
        body = {
            "displayName": fields.pop("displayName", f"Runner {runner_id}"),
            "identity": {"zone": "US-EAST-04A", "clusterName": cluster},
            "profileBindings": [{"profileTemplateId": tid, "isDefault": i == 0} for i, tid in enumerate(templates)],
        }
        body.update(fields)
        response = self.call("POST", "/managed-runners", token=token, json={"runnerId": runner_id, "runner": body})
        assert response.status_code == 200, response.text
        return response.json()

    def get_runner(self, ident: str) -> dict:
        response = self.call("GET", f"/managed-runners/{ident}")
        assert response.status_code == 200, response.text
        return response.json()

    def wait_runner(self, ident: str, predicate, timeout: float = 5.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            runner = self.get_runner(ident)
            if predicate(runner):
                return runner
            if time.monotonic() > deadline:
                raise AssertionError(f"runner never reached the expected state: {runner}")
            time.sleep(0.05)


def assert_error(response: requests.Response, status: int, code: int, message: str | None = None) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code, body
    assert isinstance(body["details"], list)
    if message is not None:
        assert body["message"] == message, body
    return body


@pytest.fixture(scope="session")
def shared_emulator():
    emulator = Emulator()
    yield emulator
    emulator.stop()


@pytest.fixture
def emu(shared_emulator):
    """The shared emulator, reset before each test."""
    assert shared_emulator.control("POST", "/reset").status_code == 200
    return shared_emulator


@pytest.fixture
def make_emulator():
    started = []

    def make(**options) -> Emulator:
        emulator = Emulator(**options)
        started.append(emulator)
        return emulator

    yield make
    for emulator in started:
        emulator.stop()
