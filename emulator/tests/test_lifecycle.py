"""The runner lifecycle simulation (timings from conftest.FAST)."""

import time

from conftest import assert_error

STATUS = "RUNNER_INSTALL_STATUS_"


def status(runner):
    return runner["installStatus"][len(STATUS) :]


def test_create_goes_pending_provisioning_ready_connected(emu):
    emu.runner("r1")
    seen = []
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        runner = emu.get_runner("r1")
        if not seen or seen[-1] != status(runner):
            seen.append(status(runner))
        if seen[-1] == "READY":
            break
        time.sleep(0.03)
    assert seen == ["PENDING", "PROVISIONING", "READY"]
    assert runner["connectionStatus"] == "RUNNER_CONNECTION_STATUS_CONNECTED"
    assert runner["lastHeartbeatAt"].endswith("Z")


def test_heartbeats_move_last_heartbeat_at(emu):
    emu.runner("r1")
    first = emu.wait_runner("r1", lambda r: "lastHeartbeatAt" in r)["lastHeartbeatAt"]
    later = emu.wait_runner("r1", lambda r: r["lastHeartbeatAt"] > first)
    assert later["connectionStatus"] == "RUNNER_CONNECTION_STATUS_CONNECTED"


def test_stopped_heartbeats_lead_to_disconnected_then_resume(emu):
    emu.runner("r1")
    emu.wait_runner("r1", lambda r: r.get("connectionStatus") == "RUNNER_CONNECTION_STATUS_CONNECTED")
    assert emu.control("POST", "/runners/r1/heartbeats", json={"enabled": False}).status_code == 200
    frozen = emu.get_runner("r1")["lastHeartbeatAt"]
    runner = emu.wait_runner("r1", lambda r: r["connectionStatus"] == "RUNNER_CONNECTION_STATUS_DISCONNECTED")
    assert runner["lastHeartbeatAt"] == frozen
    assert status(runner) == "READY"
    emu.control("POST", "/runners/r1/heartbeats", json={"enabled": True})
    runner = emu.wait_runner("r1", lambda r: r["connectionStatus"] == "RUNNER_CONNECTION_STATUS_CONNECTED")
    assert runner["lastHeartbeatAt"] > frozen


def test_install_failure_sets_failed_with_install_error(emu):
    emu.runner("r1")
    response = emu.control("POST", "/runners/r1/install-failure", json={})
    assert response.status_code == 200
    runner = emu.get_runner("r1")
    assert status(runner) == "FAILED"
    error = runner["installError"]
    assert error["reason"] == "IMAGE_PULL_BACKOFF"
    assert error["message"] and error["diagnosticDetail"]
    assert "Check that the cluster can pull from the registry" in error["remediationHints"]
    assert error["occurredAt"].endswith("Z")


def test_install_failure_takes_custom_fields(emu):
    emu.runner("r1")
    body = {"reason": "QUOTA", "message": "no room", "diagnosticDetail": "d", "remediationHints": ["ask"]}
    runner = emu.control("POST", "/runners/r1/install-failure", json=body).json()
    assert {k: runner["installError"][k] for k in body} == body


def test_deployment_changing_update_recovers_failed_runner(emu):
    emu.runner("r1")
    emu.control("POST", "/runners/r1/install-failure", json={})
    body = {
        "runner": {"managedSpec": {"releaseChannel": "RELEASE_CHANNEL_RAPID"}},
        "update_mask": "managed_spec.release_channel",
    }
    runner = emu.call("PATCH", "/managed-runners/r1", json=body).json()
    assert status(runner) == "PROVISIONING" and "installError" not in runner
    emu.wait_runner("r1", lambda r: status(r) == "READY")


def test_deployment_changing_update_passes_through_provisioning(emu):
    emu.runner("r1")
    emu.wait_runner("r1", lambda r: status(r) == "READY")
    body = {"runner": {"managedSpec": {"overrides": {"args": ["-v"]}}}, "update_mask": "managed_spec.overrides"}
    runner = emu.call("PATCH", "/managed-runners/r1", json=body).json()
    assert status(runner) == "PROVISIONING"
    emu.wait_runner("r1", lambda r: status(r) == "READY")


def test_non_deployment_update_stays_ready(emu):
    emu.runner("r1")
    emu.wait_runner("r1", lambda r: status(r) == "READY")
    runner = emu.call(
        "PATCH", "/managed-runners/r1", json={"runner": {"displayName": "x"}, "update_mask": "display_name"}
    )
    assert status(runner.json()) == "READY"


def test_delete_shows_deleting_then_404(emu):
    emu.runner("r1")
    assert emu.call("DELETE", "/managed-runners/r1").json() == {}
    assert status(emu.get_runner("r1")) == "DELETING"
    assert emu.call("DELETE", "/managed-runners/r1").json() == {}
    deadline = time.monotonic() + 5
    while emu.call("GET", "/managed-runners/r1").status_code == 200 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert_error(emu.call("GET", "/managed-runners/r1"), 404, 5, 'runner "r1" not found')
    assert_error(emu.call("DELETE", "/managed-runners/r1"), 404, 5, 'runner "r1" not found')


def test_update_of_deleting_runner_is_failed_precondition(emu):
    emu.runner("r1")
    emu.call("DELETE", "/managed-runners/r1")
    response = emu.call("PATCH", "/managed-runners/r1", json={"runner": {"displayName": "x"}})
    assert_error(response, 400, 9, 'runner "r1" is being deleted')


def test_apply_update_rolls_out_to_new_revision(emu):
    emu.runner("r1")
    emu.wait_runner("r1", lambda r: status(r) == "READY")
    marked = emu.control("POST", "/runners/r1/update-available", json={"available": True}).json()
    assert marked["updateAvailable"] is True
    runner = emu.call("POST", "/managed-runners/r1/apply-update", json={}).json()
    assert runner["targetRevision"] == 2 and runner["activeRevision"] == 1
    assert runner["rolloutInProgress"] is True
    assert "updateAvailable" not in runner
    done = emu.wait_runner("r1", lambda r: status(r) == "READY")
    assert done["activeRevision"] == done["targetRevision"] == 2
    assert "rolloutInProgress" not in done
    assert done["deploymentSpec"]["runnerVersion"] == "1.2.0"


def test_apply_update_without_pending_update_is_failed_precondition(emu):
    emu.runner("r1")
    response = emu.call("POST", "/managed-runners/r1/apply-update", json={})
    assert_error(response, 400, 9, 'runner "r1" has no update available')


def test_template_spec_update_moves_bound_runners_profile_spec_version(emu):
    template = emu.template("t")
    other = emu.template("u")
    emu.runner("r1", templates=[template["id"]])
    emu.runner("r2", cluster="spare-east-1", templates=[other["id"]])
    before1, before2 = emu.get_runner("r1"), emu.get_runner("r2")
    emu.call(
        "PATCH", "/profile-templates/t", json={"profileTemplate": {"spec": {"tags": ["new"]}}, "update_mask": "spec"}
    )
    after1, after2 = emu.get_runner("r1"), emu.get_runner("r2")
    assert after1["activeProfileSpecVersion"] != before1["activeProfileSpecVersion"]
    assert after2["activeProfileSpecVersion"] == before2["activeProfileSpecVersion"]


def test_binding_change_moves_profile_spec_version(emu):
    first, second = emu.template("t"), emu.template("u")
    runner = emu.runner("r1", templates=[first["id"]])
    bindings = [{"profileTemplateId": first["id"], "isDefault": True}, {"profileTemplateId": second["id"]}]
    body = {"runner": {"profileBindings": bindings}, "update_mask": "profile_bindings"}
    updated = emu.call("PATCH", "/managed-runners/r1", json=body).json()
    assert updated["activeProfileSpecVersion"] != runner["activeProfileSpecVersion"]


def test_deleting_bound_template_is_refused_naming_runners(emu):
    template = emu.template("t")
    emu.runner("r1", templates=[template["id"]])
    emu.runner("r2", cluster="spare-east-1", templates=[template["id"]])
    body = assert_error(
        emu.call("DELETE", "/profile-templates/t"),
        400,
        9,
        'profile_template "t" is still bound by runners: r1, r2',
    )
    assert body["details"][0]["@type"] == "type.googleapis.com/google.rpc.PreconditionFailure"
    assert emu.call("GET", "/profile-templates/t").status_code == 200


def test_template_unbound_by_deleting_runner_can_be_deleted(emu):
    template = emu.template("t")
    emu.runner("r1", templates=[template["id"]])
    emu.call("DELETE", "/managed-runners/r1")
    assert emu.call("DELETE", "/profile-templates/t").status_code == 200


def test_control_on_missing_runner_is_404(emu):
    assert_error(
        emu.control("POST", "/runners/none/heartbeats", json={"enabled": False}), 404, 5, 'runner "none" not found'
    )
