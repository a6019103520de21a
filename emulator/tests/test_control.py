"""The test-control interface: faults of every kind, the request log and counters."""

import threading
import time

import pytest
import requests
from conftest import assert_error


def fault(emu, **body):
    response = emu.control("POST", "/faults", json=body)
    assert response.status_code == 200, response.text
    return response.json()["id"]


def test_test_control_is_off_by_default(make_emulator):
    emu = make_emulator(test_control=False)
    for method, path in (("POST", "/reset"), ("GET", "/state"), ("POST", "/faults"), ("GET", "/counters")):
        assert_error(emu.control(method, path, json={}), 404, 5, "the test-control interface is disabled")


def test_reset_clears_everything(emu):
    emu.runner("r1")
    fault(emu, method="GET", route="/managed-runners", status=503)
    emu.control("POST", "/reset")
    assert emu.state() == {"runners": [], "profileTemplates": []}
    assert emu.control("GET", "/faults").json() == {"faults": []}
    assert emu.control("GET", "/requests").json() == {"requests": []}
    assert emu.control("GET", "/counters").json() == {"total": 0, "writes": 0, "faults": 0, "byRoute": {}}


def test_state_holds_raw_resources_with_organization(emu):
    emu.template("t")
    emu.template("t", token="other-org-admin-token")
    state = emu.state()
    assert sorted(t["organization"] for t in state["profileTemplates"]) == ["org-demo", "org-other"]


def test_status_fault_with_retry_after(emu):
    fault(emu, method="GET", route="/managed-runners", status=429, retryAfter=2)
    response = emu.call("GET", "/managed-runners")
    assert_error(response, 429, 8, "injected fault: resource exhausted")
    assert response.headers["Retry-After"] == "2"
    assert emu.call("GET", "/managed-runners").status_code == 200


@pytest.mark.parametrize("status,code", [(500, 13), (503, 14), (404, 5), (409, 6), (400, 3)])
def test_status_fault_codes_follow_contract_table(emu, status, code):
    fault(emu, method="*", route="*", status=status, message="boom")
    assert_error(emu.call("GET", "/profile-templates"), status, code, "boom")


def test_fault_count_and_method_route_matching(emu):
    fault(emu, method="PATCH", route="/managed-runners/{id}", status=503, count=2)
    emu.runner("r1")
    assert emu.call("GET", "/managed-runners/r1").status_code == 200
    body = {"runner": {"displayName": "x"}, "update_mask": "display_name"}
    assert emu.call("PATCH", "/managed-runners/r1", json=body).status_code == 503
    assert emu.control("GET", "/faults").json()["faults"][0]["count"] == 1
    assert emu.call("PATCH", "/managed-runners/r1", json=body).status_code == 503
    assert emu.call("PATCH", "/managed-runners/r1", json=body).status_code == 200


def test_fault_before_commits_nothing(emu):
    fault(emu, method="POST", route="/profile-templates", status=503, when="before")
    response = emu.call("POST", "/profile-templates", json={"profileTemplate": {"displayName": "t", "spec": {}}})
    assert_error(response, 503, 14, "injected fault: unavailable")
    assert emu.state()["profileTemplates"] == []


def test_fault_after_commits_then_fails(emu):
    fault(emu, method="POST", route="/profile-templates", status=500, when="after")
    response = emu.call("POST", "/profile-templates", json={"profileTemplate": {"displayName": "t", "spec": {}}})
    assert_error(response, 500, 13, "injected fault: internal")
    assert [t["displayName"] for t in emu.state()["profileTemplates"]] == ["t"]


def test_drop_fault_closes_connection_without_response(emu):
    fault(emu, method="GET", route="/managed-runners", drop=True)
    with pytest.raises(requests.ConnectionError):
        requests.get(emu.base + "/managed-runners", headers={"Authorization": "Bearer demo-admin-token"}, timeout=5)
    assert emu.call("GET", "/managed-runners").status_code == 200
    entry = emu.control("GET", "/requests").json()["requests"][0]
    assert entry["fault"] is True and entry["status"] is None


def test_drop_after_commit(emu):
    emu.runner("r1")
    fault(emu, method="DELETE", route="/managed-runners/{id}", drop=True, when="after")
    with pytest.raises(requests.ConnectionError):
        requests.delete(
            emu.base + "/managed-runners/r1", headers={"Authorization": "Bearer demo-admin-token"}, timeout=5
        )
    assert emu.get_runner("r1")["installStatus"] == "RUNNER_INSTALL_STATUS_DELETING"


def test_delay_fault_slows_then_answers_normally(emu):
    fault(emu, method="GET", route="/profile-templates", delay=0.4)
    started = time.monotonic()
    response = emu.call("GET", "/profile-templates")
    assert response.status_code == 200
    assert time.monotonic() - started >= 0.4
    assert emu.control("GET", "/requests").json()["requests"][0]["fault"] is False


def test_delay_after_commit_with_status(emu):
    fault(emu, method="POST", route="/profile-templates", delay=0.3, status=504, when="after")
    started = time.monotonic()
    response = emu.call("POST", "/profile-templates", json={"profileTemplate": {"displayName": "t", "spec": {}}})
    assert response.status_code == 504 and response.json()["code"] == 4
    assert time.monotonic() - started >= 0.3
    assert len(emu.state()["profileTemplates"]) == 1


def test_replace_bindings_simulates_another_writer(emu):
    first, second = emu.template("a"), emu.template("b")
    emu.runner("r1", templates=[first["id"]])
    other_writer = [{"profileTemplateId": second["id"], "isDefault": True}]
    fault(emu, method="PATCH", route="/managed-runners/{id}", replaceBindings=other_writer)
    mine = [{"profileTemplateId": first["id"], "isDefault": True, "profileName": "mine"}]
    response = emu.call(
        "PATCH", "/managed-runners/r1", json={"runner": {"profileBindings": mine}, "update_mask": "profile_bindings"}
    )
    assert response.status_code == 200
    assert response.json()["profileBindings"] == mine
    assert emu.get_runner("r1")["profileBindings"] == other_writer


def test_fault_list_and_clear(emu):
    fault_id = fault(emu, method="GET", route="/managed-runners", status=503, count=3)
    listed = emu.control("GET", "/faults").json()["faults"]
    assert [f["id"] for f in listed] == [fault_id] and listed[0]["count"] == 3
    assert emu.control("DELETE", "/faults").json() == {}
    assert emu.control("GET", "/faults").json() == {"faults": []}


@pytest.mark.parametrize(
    "body,message",
    [
        ({"method": "FETCH"}, "method must be one of *, GET, POST, PATCH, DELETE, PUT"),
        ({"route": "/widgets"}, None),
        ({"status": 200}, "status must be an HTTP error status between 400 and 599"),
        ({"when": "later"}, 'when must be "before" or "after"'),
        ({"count": 0}, "count must be a number not below 1"),
        ({"replaceBindings": [{"isDefault": "yes"}]}, "replaceBindings[0].is_default must be a boolean"),
    ],
)
def test_bad_fault_definitions_are_400(emu, body, message):
    assert_error(emu.control("POST", "/faults", json=body), 400, 3, message)


def test_request_log_records_api_requests_without_token(emu):
    emu.call("POST", "/profile-templates", json={"profileTemplate": {"displayName": "t", "spec": {}}})
    emu.call("GET", "/profile-templates/t", params={"view": "full"})
    emu.call("GET", "/managed-runners", token="bad")
    log = emu.control("GET", "/requests").json()["requests"]
    assert [(e["seq"], e["method"], e["route"], e["status"]) for e in log] == [
        (1, "POST", "/profile-templates", 200),
        (2, "GET", "/profile-templates/{id}", 200),
        (3, "GET", "/managed-runners", 401),
    ]
    assert log[0]["body"] == {"profileTemplate": {"displayName": "t", "spec": {}}}
    assert log[1]["path"] == "/v1beta2/sandbox/profile-templates/t" and log[1]["query"] == {"view": "full"}
    assert all(e["fault"] is False and e["durationMs"] >= 0 for e in log)
    assert "demo-admin-token" not in str(log) and "bad" not in str([e["query"] for e in log])
    assert emu.control("DELETE", "/requests").json() == {}
    assert emu.control("GET", "/requests").json() == {"requests": []}


def test_counters(emu):
    fault(emu, method="GET", route="/managed-runners/{id}", status=503)
    emu.runner("r1")
    emu.call("GET", "/managed-runners/r1")
    emu.call("GET", "/managed-runners/r1")
    counters = emu.control("GET", "/counters").json()
    assert counters == {
        "total": 4,
        "writes": 2,
        "faults": 1,
        "byRoute": {"POST /profile-templates": 1, "POST /managed-runners": 1, "GET /managed-runners/{id}": 2},
    }


def test_config_switches_change_at_runtime_and_reset_restores_them(emu):
    emu.runner("r1")
    assert emu.control("GET", "/config").json() == {"listKey": "runners", "emitZeroValues": False}
    response = emu.control("POST", "/config", json={"listKey": "managedRunners", "emitZeroValues": True})
    assert response.json() == {"listKey": "managedRunners", "emitZeroValues": True}
    listing = emu.call("GET", "/managed-runners").json()
    assert [r["identity"]["runnerId"] for r in listing["managedRunners"]] == ["r1"]
    assert "runners" not in listing
    assert listing["nextPageToken"] == ""
    emu.control("POST", "/reset")
    assert emu.control("GET", "/config").json() == {"listKey": "runners", "emitZeroValues": False}


@pytest.mark.parametrize(
    "body, message",
    [
        ({"listKey": "items"}, "config.list_key must be runners or managedRunners"),
        ({"emitZeroValues": "yes"}, "config.emit_zero_values must be a boolean"),
        ({"colour": "blue"}, "config.colour is not a known switch"),
    ],
)
def test_config_switches_reject_bad_values(emu, body, message):
    assert_error(emu.control("POST", "/config", json=body), 400, 3, message)


def test_request_log_keeps_the_order_of_arrival(emu):
    fault(emu, method="GET", route="/profile-templates", delay=0.6)
    slow = threading.Thread(target=emu.call, args=("GET", "/profile-templates"))
    slow.start()
    time.sleep(0.2)
    emu.call("GET", "/managed-runners")
    slow.join(timeout=10)
    logged = emu.control("GET", "/requests").json()["requests"]
    assert [entry["route"] for entry in logged] == ["/profile-templates", "/managed-runners"]
    assert logged[0]["seq"] < logged[1]["seq"]
