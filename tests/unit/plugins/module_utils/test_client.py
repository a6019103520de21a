# Copyright (c) 2026, coreweave.sandbox contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import pytest
from ansible_collections.coreweave.sandbox.plugins.module_utils import client as client_module
from ansible_collections.coreweave.sandbox.plugins.module_utils.client import SandboxApiError, SandboxClient

TOKEN = "unit-test-token-0123456789"


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch):
    monkeypatch.setattr(client_module, "BACKOFF_FACTOR", 0.0)


def make_client(api, retries=2, log=None):
    return SandboxClient(api.endpoint, TOKEN, timeout=5, retries=retries, log=log)


class TestRequests:
    def test_headers_and_prefix(self, fake_api):
        fake_api.add("GET", "/profile-templates/x", body={"id": "1"})
        assert make_client(fake_api).get("/profile-templates/x") == {"id": "1"}
        entry = fake_api.sent()[0]
        assert entry["path"] == "/v1beta2/sandbox/profile-templates/x"
        assert entry["headers"]["Authorization"] == "Bearer " + TOKEN
        assert entry["headers"]["User-Agent"].startswith("coreweave.sandbox-ansible/")

    def test_error_shape(self, fake_api):
        details = [{"@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolations": []}]
        fake_api.add(
            "PATCH",
            "/profile-templates/x",
            400,
            {"code": 3, "message": "profile_template.spec bad", "details": details},
        )
        with pytest.raises(SandboxApiError) as caught:
            make_client(fake_api).patch("/profile-templates/x", {"profileTemplate": {}})
        result = caught.value.to_result()
        assert (
            result["msg"] == "PATCH /profile-templates/x failed: HTTP 400 INVALID_ARGUMENT: profile_template.spec bad"
        )
        assert result["error"]["status"] == 400
        assert result["error"]["code"] == "INVALID_ARGUMENT"
        assert result["error"]["message"] == "profile_template.spec bad"
        assert result["error"]["details"] == details

    def test_error_without_status_body_keeps_text(self, fake_api):
        fake_api.add("GET", "/profile-templates/x", 403, b"forbidden by proxy")
        with pytest.raises(SandboxApiError) as caught:
            make_client(fake_api).get("/profile-templates/x")
        assert caught.value.status == 403
        assert caught.value.code is None
        assert caught.value.message == "forbidden by proxy (the token lacks SANDBOX_USER, which this request needs)"

    def test_forbidden_write_names_the_admin_permission_once(self, fake_api):
        fake_api.add("DELETE", "/profile-templates/x", 403, b"forbidden by proxy")
        fake_api.add("PATCH", "/profile-templates/y", 403, b"permission denied: SANDBOX_ADMIN is required")
        client = make_client(fake_api)
        with pytest.raises(SandboxApiError) as caught:
            client.delete("/profile-templates/x")
        assert caught.value.message.endswith("(the token lacks SANDBOX_ADMIN, which this request needs)")
        with pytest.raises(SandboxApiError) as caught:
            client.patch("/profile-templates/y", {})
        assert caught.value.message == "permission denied: SANDBOX_ADMIN is required"

    def test_token_is_scrubbed_from_messages_details_and_logs(self, fake_api):
        echoed = "bad token " + TOKEN
        fake_api.add("GET", "/profile-templates", 401, {"code": 16, "message": echoed, "details": [{"t": echoed}]})
        lines = []
        with pytest.raises(SandboxApiError) as caught:
            make_client(fake_api, log=lines.append).get("/profile-templates")
        text = repr(caught.value.to_result()) + repr(lines)
        assert TOKEN not in text
        assert "bad token ********" in caught.value.message
        assert caught.value.code_name == "UNAUTHENTICATED"
        assert lines

    def test_get_or_none_and_delete_treat_404(self, fake_api):
        api = make_client(fake_api)
        assert api.get_or_none("/profile-templates/missing") is None
        assert api.delete("/profile-templates/missing") is False
        fake_api.add("DELETE", "/profile-templates/x", body={})
        assert api.delete("/profile-templates/x") is True

    def test_idempotent_requests_are_retried(self, fake_api):
        fake_api.add("GET", "/profile-templates/x", 503, {"code": 14, "message": "busy"})
        fake_api.add("GET", "/profile-templates/x", 429, {"code": 8, "message": "slow down"}, {"Retry-After": "0"})
        fake_api.add("GET", "/profile-templates/x", 200, {"id": "1"})
        assert make_client(fake_api, retries=3).get("/profile-templates/x") == {"id": "1"}
        assert len(fake_api.sent("GET")) == 3

    def test_retries_give_up_with_the_last_answer(self, fake_api):
        fake_api.add("GET", "/profile-templates/x", 500, {"code": 13, "message": "boom"})
        with pytest.raises(SandboxApiError) as caught:
            make_client(fake_api, retries=2).get("/profile-templates/x")
        assert len(fake_api.sent("GET")) == 3
        assert caught.value.attempts == 3
        assert caught.value.code_name == "INTERNAL"
        assert "(after 3 attempts)" in caught.value.to_result()["msg"]

    def test_client_errors_are_not_retried(self, fake_api):
        fake_api.add("PATCH", "/profile-templates/x", 400, {"code": 9, "message": "no"})
        with pytest.raises(SandboxApiError):
            make_client(fake_api, retries=3).patch("/profile-templates/x", {})
        assert len(fake_api.sent()) == 1

    def test_connection_failure(self):
        api = SandboxClient("http://127.0.0.1:9", TOKEN, timeout=2, retries=0)
        with pytest.raises(SandboxApiError) as caught:
            api.get("/profile-templates")
        assert caught.value.status is None
        assert "connection failed" in caught.value.message


class TestPagination:
    def test_follows_next_page_token_to_the_end(self, fake_api):
        pages = {
            "": ({"profileTemplates": [{"id": "1"}, {"id": "2"}], "nextPageToken": "p2"}),
            "p2": ({"profileTemplates": [{"id": "3"}], "nextPageToken": "p3"}),
            "p3": ({"profileTemplates": [{"id": "4"}], "nextPageToken": ""}),
        }
        fake_api.handle("GET", "/profile-templates", lambda e: (200, pages[e["query"].get("pageToken", "")], None))
        items = make_client(fake_api).list_all("/profile-templates", "profileTemplates")
        assert [item["id"] for item in items] == ["1", "2", "3", "4"]
        assert [e["query"].get("pageToken") for e in fake_api.sent()] == [None, "p2", "p3"]
        assert all(e["query"]["pageSize"] == "100" for e in fake_api.sent())

    def test_missing_token_key_ends_and_alternate_list_key(self, fake_api):
        fake_api.add("GET", "/managed-runners", body={"managedRunners": [{"id": "r"}]})
        items = make_client(fake_api).list_all("/managed-runners", "runners", ("managedRunners",))
        assert items == [{"id": "r"}]

    def test_repeated_token_stops(self, fake_api):
        fake_api.add("GET", "/profile-templates", body={"profileTemplates": [], "nextPageToken": "same"})
        with pytest.raises(SandboxApiError, match="same page token twice"):
            make_client(fake_api).list_all("/profile-templates", "profileTemplates")
        assert len(fake_api.sent()) == 2


class TestPostRecovery:
    def test_adopts_when_the_earlier_attempt_landed(self, fake_api):
        fake_api.add("POST", "/profile-templates", 503, {"code": 14, "message": "unavailable"})
        recovered = []

        def recover():
            recovered.append(True)
            return {"id": "landed"}

        assert make_client(fake_api).post("/profile-templates", {"a": 1}, recover) == {"id": "landed"}
        assert len(fake_api.sent("POST")) == 1
        assert recovered == [True]

    def test_resends_when_it_did_not_land(self, fake_api):
        fake_api.add("POST", "/profile-templates", 500, {"code": 13, "message": "boom"})
        fake_api.add("POST", "/profile-templates", 200, {"id": "new"})
        assert make_client(fake_api).post("/profile-templates", {"a": 1}, lambda: None) == {"id": "new"}
        assert len(fake_api.sent("POST")) == 2
        assert fake_api.sent("POST")[1]["body"] == {"a": 1}

    def test_dropped_connection_is_recovered(self, fake_api):
        fake_api.add("POST", "/profile-templates", None)
        fake_api.add("POST", "/profile-templates", 200, {"id": "new"})
        assert make_client(fake_api).post("/profile-templates", {}, lambda: None) == {"id": "new"}
        assert len(fake_api.sent("POST")) == 2

    def test_never_resends_after_a_client_error(self, fake_api):
        fake_api.add("POST", "/profile-templates", 409, {"code": 6, "message": "already exists"})
        with pytest.raises(SandboxApiError) as caught:
            make_client(fake_api).post("/profile-templates", {}, lambda: pytest.fail("recover called"))
        assert caught.value.code_name == "ALREADY_EXISTS"
        assert len(fake_api.sent("POST")) == 1

    def test_conflict_on_a_resend_adopts_what_a_later_look_up_finds(self, fake_api, monkeypatch):
        monkeypatch.setattr(client_module.time, "sleep", lambda seconds: None)
        fake_api.add("POST", "/profile-templates", 503, {"code": 14, "message": "unavailable"})
        fake_api.add("POST", "/profile-templates", 409, {"code": 6, "message": "already exists"})
        looks = iter([None, None, {"id": "landed"}])
        client = make_client(fake_api)
        assert client.post("/profile-templates", {}, lambda: next(looks)) == {"id": "landed"}
        assert len(fake_api.sent("POST")) == 2

    def test_conflict_on_a_resend_is_not_a_refusal(self, fake_api, monkeypatch):
        monkeypatch.setattr(client_module.time, "sleep", lambda seconds: None)
        fake_api.add("POST", "/profile-templates", 503, {"code": 14, "message": "unavailable"})
        fake_api.add("POST", "/profile-templates", 409, {"code": 6, "message": "already exists"})
        with pytest.raises(SandboxApiError) as caught:
            make_client(fake_api).post("/profile-templates", {}, lambda: None)
        assert caught.value.status == 409
        assert caught.value.attempts == 2
        assert caught.value.refused is False

    def test_gives_up_after_the_retries(self, fake_api):
        fake_api.add("POST", "/profile-templates", 503, {"code": 14, "message": "unavailable"})
        with pytest.raises(SandboxApiError) as caught:
            make_client(fake_api, retries=2).post("/profile-templates", {}, lambda: None)
        assert len(fake_api.sent("POST")) == 3
        assert caught.value.attempts == 3


class TestFind:
    def test_found_by_name(self, fake_api):
        fake_api.add("GET", "/profile-templates/my%20name", body={"id": "1", "displayName": "my name"})
        assert (
            make_client(fake_api).find("/profile-templates", "profileTemplates", "displayName", "my name")["id"] == "1"
        )
        assert len(fake_api.sent()) == 1

    def test_missing(self, fake_api):
        assert make_client(fake_api).find("/profile-templates", "profileTemplates", "displayName", "nope") is None

    def test_name_that_is_another_items_uuid_falls_back_to_the_list(self, fake_api):
        other = "0b0c6c9e-5d8a-4f0e-9a53-2f7bb2c1f0aa"
        fake_api.add("GET", "/profile-templates/" + other, body={"id": other, "displayName": "other"})
        fake_api.add(
            "GET",
            "/profile-templates",
            body={"profileTemplates": [{"id": other, "displayName": "other"}, {"id": "2", "displayName": other}]},
        )
        found = make_client(fake_api).find("/profile-templates", "profileTemplates", "displayName", other)
        assert found == {"id": "2", "displayName": other}


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://api.example.test",
        "https://api.example.test/",
        "https://api.example.test/v1beta2/sandbox",
        "https://api.example.test/v1beta2/sandbox/",
    ],
)
def test_base_url_adds_the_version_prefix_once(endpoint):
    client = SandboxClient(endpoint, "t0ken", retries=0)
    assert client.base_url == "https://api.example.test/v1beta2/sandbox"


@pytest.mark.parametrize(
    "status, refused",
    [(301, True), (400, True), (403, True), (404, True), (409, True), (408, False), (429, False), (500, False)],
)
def test_refused_means_the_api_did_not_apply_the_request(status, refused):
    assert SandboxApiError("PATCH", "/x", "m", status=status).refused is refused
    assert SandboxApiError("PATCH", "/x", "m", status=status, outcome_unknown=True).refused is False


def test_scrub_masks_the_token_and_its_escaped_form():
    client = SandboxClient("https://api.example.test", "tok\tab", retries=0)
    assert client.scrub("a tok\tab b " + repr("tok\tab")) == "a ******** b '********'"


def test_user_agent_names_the_version_of_galaxy_yml():
    import pathlib
    import re

    galaxy = pathlib.Path(__file__).resolve().parents[4] / "galaxy.yml"
    version = re.search(r"^version:\s*(\S+)\s*$", galaxy.read_text(), re.MULTILINE).group(1)
    assert version == client_module.COLLECTION_VERSION
    assert client_module.USER_AGENT.endswith("/" + version)
