"""Property-based fuzzing of the HTTP boundary: never a 5xx, never corrupted state."""

import json

import pytest
import requests
from conftest import Emulator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
ROUTES = [
    "/managed-runners",
    "/managed-runners/r1",
    "/managed-runners/r1/apply-update",
    "/profile-templates",
    "/profile-templates/t",
]
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=15), children, max_size=4),
    max_leaves=20,
)
FIELD_NAMES = st.sampled_from(
    [
        "displayName",
        "identity",
        "zone",
        "clusterName",
        "managedSpec",
        "profileBindings",
        "spec",
        "labels",
        "profileTemplateId",
        "isDefault",
        "overridesJson",
        "maintenancePolicy",
        "windows",
        "cron",
        "update_mask",
        "runner",
        "profileTemplate",
        "runnerId",
        "namespaceConfigJson",
        "scaling",
        "minReplicas",
    ]
)
SHAPED = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(FIELD_NAMES, children, max_size=5),
    max_leaves=25,
)


@pytest.fixture(scope="module")
def fuzz_emu():
    emulator = Emulator()
    yield emulator
    emulator.stop()


@pytest.fixture(scope="module")
def seeded(fuzz_emu):
    fuzz_emu.control("POST", "/reset")
    template = fuzz_emu.template("t")
    fuzz_emu.runner("r1", templates=[template["id"]])
    return fuzz_emu


def assert_sane(emu, before=None):
    state = emu.state()
    if before is not None:
        assert state == before
    for runner in state["runners"]:
        assert runner["identity"]["runnerId"] and runner["identity"]["clusterId"]
        assert sum(1 for b in runner["profileBindings"] if b.get("isDefault")) == 1
    for template in state["profileTemplates"]:
        assert template["displayName"] and template["id"]
    assert emu.call("GET", "/managed-runners").status_code == 200
    assert emu.call("GET", "/profile-templates").status_code == 200


@SETTINGS
@given(method=st.sampled_from(["POST", "PATCH"]), route=st.sampled_from(ROUTES), raw=st.binary(max_size=300))
def test_random_bytes_bodies(seeded, method, route, raw):
    response = seeded.call(method, route, data=raw)
    assert response.status_code < 500, response.text
    assert response.json()["code"] or response.status_code == 200


@SETTINGS
@given(route=st.sampled_from(ROUTES), body=JSON)
def test_random_json_bodies(seeded, route, body):
    for method in ("POST", "PATCH"):
        response = seeded.call(method, route, data=json.dumps(body))
        assert response.status_code < 500, response.text
    assert_sane(seeded)


@SETTINGS
@given(
    route=st.sampled_from(["/managed-runners", "/managed-runners/r1", "/profile-templates", "/profile-templates/t"]),
    body=SHAPED,
    wrap=st.sampled_from(["runner", "profileTemplate", None]),
    mask=st.none() | st.text(max_size=30) | st.lists(st.text(max_size=10), max_size=3),
)
def test_wrong_types_in_shaped_bodies(seeded, route, body, wrap, mask):
    payload = {wrap: body} if wrap else body
    if isinstance(payload, dict) and mask is not None:
        payload["update_mask"] = mask
    for method in ("POST", "PATCH"):
        response = seeded.call(method, route, json=payload)
        assert response.status_code < 500, response.text
    assert_sane(seeded)


@SETTINGS
@given(token=st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), max_size=80))
def test_bad_tokens(seeded, token):
    before = seeded.state()
    response = seeded.call("DELETE", "/managed-runners/r1", token=token)
    assert response.status_code == 401
    assert response.json()["code"] == 16
    assert_sane(seeded, before)


@SETTINGS
@given(
    segment=st.one_of(
        st.sampled_from(["..", "%2F", "..%2F..", "%2e%2e", "r1%2F..", "r1/../r1", ":apply-update", "%00", "r1;x"]),
        st.text(alphabet="abc-%2F./:", min_size=1, max_size=40),
        st.integers(min_value=100, max_value=6000).map(lambda n: "x" * n),
    ),
    method=st.sampled_from(["GET", "DELETE", "PATCH", "POST"]),
    family=st.sampled_from(["/managed-runners/", "/profile-templates/"]),
)
def test_path_tricks(seeded, segment, method, family):
    before = seeded.state()
    url = seeded.base + family + segment
    request = requests.Request(method, url, headers={"Authorization": "Bearer demo-admin-token"}, json={})
    prepared = request.prepare()
    prepared.url = url
    response = seeded.http.send(prepared, timeout=10)
    assert response.status_code < 500
    if response.status_code == 200 and method != "GET":
        return
    assert_sane(seeded, before)


def test_huge_bodies_are_refused_without_5xx(seeded):
    before = seeded.state()
    for size in (1024 * 1024 + 1, 3 * 1024 * 1024):
        response = seeded.call("POST", "/profile-templates", data=b"{" + b" " * size + b"}")
        assert response.status_code == 400
    deep = "[" * 100_000 + "]" * 100_000
    response = seeded.call("POST", "/profile-templates", data=deep)
    assert response.status_code == 400 and response.json()["message"] == "request body is not valid JSON"
    assert_sane(seeded, before)
