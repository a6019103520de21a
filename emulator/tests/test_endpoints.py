"""Every endpoint of the contract, with its request and response shapes."""

from conftest import assert_error


def test_create_profile_template_returns_bare_template(emu):
    response = emu.call(
        "POST",
        "/profile-templates",
        json={"profileTemplate": {"displayName": "ds-gpu-h100", "labels": {"team": "ml"}, "spec": {"tags": ["a"]}}},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["displayName"] == "ds-gpu-h100"
    assert body["organizationId"] == "org-demo"
    assert body["labels"] == {"team": "ml"}
    assert body["spec"] == {"tags": ["a"]}
    assert body["createdAt"].endswith("Z") and body["updatedAt"] == body["createdAt"]
    assert len(body["id"]) == 36


def test_get_profile_template_by_uuid_and_display_name(emu):
    created = emu.template("default-cpu")
    by_id = emu.call("GET", f"/profile-templates/{created['id']}")
    by_name = emu.call("GET", "/profile-templates/default-cpu")
    assert by_id.status_code == by_name.status_code == 200
    assert by_id.json() == by_name.json() == created


def test_list_profile_templates(emu):
    first, second = emu.template("a"), emu.template("b")
    response = emu.call("GET", "/profile-templates")
    assert response.status_code == 200
    assert response.json() == {"profileTemplates": [first, second]}


def test_update_profile_template(emu):
    created = emu.template("a", description="old")
    response = emu.call(
        "PATCH",
        "/profile-templates/a",
        json={"profileTemplate": {"description": "new"}, "update_mask": "description"},
    )
    assert response.status_code == 200
    assert response.json()["description"] == "new"
    assert response.json()["spec"] == created["spec"]


def test_delete_profile_template(emu):
    emu.template("a")
    response = emu.call("DELETE", "/profile-templates/a")
    assert response.status_code == 200 and response.json() == {}
    assert_error(emu.call("GET", "/profile-templates/a"), 404, 5, 'profile template "a" not found')


def test_delete_missing_profile_template_is_404(emu):
    assert_error(emu.call("DELETE", "/profile-templates/nope"), 404, 5, 'profile template "nope" not found')


def test_create_runner_returns_bare_runner_with_server_fields(emu):
    template = emu.template("default-cpu")
    runner = emu.runner("prod-east-managed", templates=[template["id"]])
    assert runner["identity"] == {
        "runnerId": "prod-east-managed",
        "zone": "US-EAST-04A",
        "clusterId": "3f6b2a1e-5c4d-4e8f-9a0b-1c2d3e4f5a01",
        "clusterName": "prod-east",
    }
    assert runner["managementMode"] == "MANAGEMENT_MODE_MANAGED"
    assert runner["managedSpec"] == {"releaseChannel": "RELEASE_CHANNEL_STABLE"}
    assert runner["installStatus"] == "RUNNER_INSTALL_STATUS_PENDING"
    assert runner["profileBindings"] == [{"profileTemplateId": template["id"], "isDefault": True}]
    assert runner["activeRevision"] == runner["targetRevision"] == 1
    assert runner["activeConfigVersion"] and runner["activeProfileSpecVersion"]
    assert runner["deploymentSpec"]["resources"] == {
        "cpuRequest": "500m",
        "memoryRequest": "1Gi",
        "cpuLimit": "2",
        "memoryLimit": "4Gi",
    }
    assert runner["createdAt"].endswith("Z")


def test_create_runner_by_cluster_id_fills_cluster_name(emu):
    template = emu.template()
    body = {
        "runnerId": "rw",
        "runner": {
            "identity": {"zone": "us-west-01a", "clusterId": "3f6b2a1e-5c4d-4e8f-9a0b-1c2d3e4f5a02"},
            "profileBindings": [{"profileTemplateId": template["id"], "isDefault": True}],
        },
    }
    response = emu.call("POST", "/managed-runners", json=body)
    assert response.status_code == 200
    assert response.json()["identity"]["clusterName"] == "research-west"
    assert response.json()["identity"]["zone"] == "US-WEST-01A"


def test_deployment_spec_merges_overrides_over_platform_defaults(emu):
    runner = emu.runner(
        managedSpec={"overrides": {"resources": {"cpuLimit": "8"}, "scaling": {"maxReplicas": 4}, "args": ["-v"]}}
    )
    deployment = runner["deploymentSpec"]
    assert deployment["resources"]["cpuLimit"] == "8" and deployment["resources"]["cpuRequest"] == "500m"
    assert deployment["scaling"] == {"replicas": 1, "minReplicas": 1, "maxReplicas": 4}
    assert deployment["args"] == ["-v"]


def test_get_runner_by_uuid_and_runner_id(emu):
    runner = emu.runner("r1")
    assert emu.get_runner(runner["id"])["id"] == runner["id"]
    assert emu.get_runner("r1")["id"] == runner["id"]


def test_list_runners(emu):
    first = emu.runner("r1", cluster="prod-east")
    second = emu.runner("r2", cluster="spare-east-1")
    response = emu.call("GET", "/managed-runners")
    assert response.status_code == 200
    assert [r["id"] for r in response.json()["runners"]] == [first["id"], second["id"]]
    assert "nextPageToken" not in response.json()


def test_update_runner(emu):
    emu.runner("r1")
    response = emu.call(
        "PATCH", "/managed-runners/r1", json={"runner": {"displayName": "Renamed"}, "update_mask": "display_name"}
    )
    assert response.status_code == 200
    assert response.json()["displayName"] == "Renamed"


def test_delete_runner_answers_empty_object(emu):
    emu.runner("r1")
    response = emu.call("DELETE", "/managed-runners/r1")
    assert response.status_code == 200 and response.json() == {}


def test_delete_missing_runner_is_404(emu):
    assert_error(emu.call("DELETE", "/managed-runners/none"), 404, 5, 'runner "none" not found')


def test_get_missing_runner_is_404_with_resource_info(emu):
    body = assert_error(emu.call("GET", "/managed-runners/none"), 404, 5, 'runner "none" not found')
    assert body["details"][0]["@type"] == "type.googleapis.com/google.rpc.ResourceInfo"


def test_apply_update_both_route_spellings(emu):
    emu.runner("r1")
    emu.control("POST", "/runners/r1/update-available", json={"available": True})
    response = emu.call("POST", "/managed-runners/r1/apply-update", json={})
    assert response.status_code == 200 and response.json()["targetRevision"] == 2
    emu.control("POST", "/runners/r1/update-available", json={"available": True})
    response = emu.call("POST", "/managed-runners/r1:apply-update", json={})
    assert response.status_code == 200 and response.json()["targetRevision"] >= 2


def test_unknown_route_is_404_status(emu):
    assert_error(emu.call("GET", "/widgets"), 404, 5, f'no API route for path "{"/v1beta2/sandbox/widgets"}"')


def test_wrong_method_is_405_status(emu):
    assert_error(emu.call("PUT", "/managed-runners"), 405, 12, "method PUT is not allowed on /managed-runners")
