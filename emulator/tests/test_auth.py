"""Authentication, permission levels and organization isolation."""

import pytest
from conftest import OTHER, USER, assert_error

DENIED = "permission denied: the SANDBOX_ADMIN permission is required for this operation"


def test_missing_token_is_401(emu):
    response = emu.call("GET", "/managed-runners", token=None)
    assert_error(response, 401, 16, "missing bearer token: send Authorization: Bearer <token>")


@pytest.mark.parametrize("header", ["Basic abc", "Bearer", "Bearer ", "demo-admin-token", "Bearer a b"])
def test_malformed_authorization_is_401(emu, header):
    response = emu.call("GET", "/managed-runners", token=None, headers={"Authorization": header})
    assert_error(response, 401, 16, 'malformed Authorization header: expected "Bearer <token>"')


def test_unknown_token_is_401(emu):
    assert_error(emu.call("GET", "/profile-templates", token="nope"), 401, 16, "invalid or unknown API token")


def test_user_token_can_read(emu):
    emu.template("a")
    assert emu.call("GET", "/profile-templates", token=USER).status_code == 200
    assert emu.call("GET", "/profile-templates/a", token=USER).status_code == 200


@pytest.mark.parametrize(
    "method,path",
    [
        ("POST", "/profile-templates"),
        ("PATCH", "/profile-templates/a"),
        ("DELETE", "/profile-templates/a"),
        ("POST", "/managed-runners"),
        ("PATCH", "/managed-runners/r1"),
        ("DELETE", "/managed-runners/r1"),
        ("POST", "/managed-runners/r1/apply-update"),
    ],
)
def test_user_token_cannot_write(emu, method, path):
    emu.runner("r1", templates=[emu.template("a")["id"]])
    before = emu.state()
    assert_error(emu.call(method, path, token=USER, json={}), 403, 7, DENIED)
    assert emu.state() == before


def test_other_organization_resources_are_404(emu):
    template = emu.template("a")
    runner = emu.runner("r1", templates=[template["id"]])
    for path in ("/profile-templates/a", f"/profile-templates/{template['id']}", f"/managed-runners/{runner['id']}"):
        assert emu.call("GET", path, token=OTHER).status_code == 404
    assert_error(emu.call("DELETE", "/managed-runners/r1", token=OTHER), 404, 5, 'runner "r1" not found')
    assert emu.call("GET", "/managed-runners", token=OTHER).json() == {"runners": []}
    assert emu.call("GET", "/profile-templates", token=OTHER).json() == {"profileTemplates": []}


def test_other_organization_cannot_bind_foreign_template(emu):
    template = emu.template("a")
    body = {
        "runnerId": "r1",
        "runner": {
            "identity": {"zone": "US-EAST-04A", "clusterName": "prod-east"},
            "profileBindings": [{"profileTemplateId": template["id"], "isDefault": True}],
        },
    }
    response = emu.call("POST", "/managed-runners", token=OTHER, json=body)
    assert_error(response, 400, 3, f'runner.profile_bindings[0].profile_template_id "{template["id"]}" does not exist')


def test_same_names_in_two_organizations_do_not_clash(emu):
    emu.template("a")
    emu.template("a", token=OTHER)
    assert len(emu.state()["profileTemplates"]) == 2
