"""Zero-value omission and its switch, and the runner list key switch."""

from conftest import ADMIN


def test_zero_values_are_omitted_by_default(emu):
    template = emu.template("t", description="", labels={}, spec={"tags": [], "containerImage": ""})
    assert set(template) == {"id", "organizationId", "displayName", "createdAt", "updatedAt"}
    runner = emu.runner("r1", templates=[template["id"]], displayName="", managedSpec={"enforceResourceLimits": False})
    for key in (
        "displayName",
        "installError",
        "connectionStatus",
        "lastHeartbeatAt",
        "rolloutInProgress",
        "updateAvailable",
    ):
        assert key not in runner
    assert runner["profileBindings"] == [{"profileTemplateId": template["id"], "isDefault": True}]
    assert "enforceResourceLimits" not in runner["managedSpec"]


def test_map_entries_with_empty_values_are_kept(emu):
    template = emu.template("t", labels={"a": ""})
    assert template["labels"] == {"a": ""}


def test_emit_zero_values_switch(make_emulator):
    emu = make_emulator(emit_zero_values=True)
    template = emu.template("t")
    assert template["description"] == "" and template["labels"] == {}
    assert template["spec"]["instanceTypes"] == [] and template["spec"]["resourceDefaults"]["cpuLimit"] == ""
    runner = emu.runner("r1", templates=[template["id"]])
    assert runner["displayName"] == "Runner r1"
    assert runner["connectionStatus"] == "RUNNER_CONNECTION_STATUS_UNSPECIFIED"
    assert runner["rolloutInProgress"] is False and runner["updateAvailable"] is False
    assert runner["identity"]["runnerGroupId"] == ""
    assert runner["installError"]["remediationHints"] == []
    assert runner["lastHeartbeatAt"] is None
    assert runner["profileBindings"][0] == {
        "profileTemplateId": template["id"],
        "profileName": "",
        "isDefault": True,
        "overridesJson": "",
    }
    listed = emu.call("GET", "/profile-templates").json()
    assert listed["nextPageToken"] == ""


def test_list_key_switch(make_emulator):
    emu = make_emulator(list_key="managedRunners")
    emu.runner("r1")
    body = emu.call("GET", "/managed-runners", token=ADMIN).json()
    assert list(body) == ["managedRunners"]
    assert body["managedRunners"][0]["identity"]["runnerId"] == "r1"


def test_default_list_key_is_runners(emu):
    emu.runner("r1")
    assert list(emu.call("GET", "/managed-runners").json()) == ["runners"]


def test_responses_are_json(emu):
    response = emu.call("GET", "/managed-runners")
    assert response.headers["Content-Type"] == "application/json"
    response = emu.call("GET", "/nothing")
    assert response.headers["Content-Type"] == "application/json"
