"""Cursor pagination: default and maximum page sizes, bad input, stability under concurrent writes."""

import base64
import threading

import pytest
from conftest import assert_error


def make_templates(emu, count):
    for i in range(count):
        emu.template(f"t{i:03d}")


def test_default_page_size_is_50(emu):
    make_templates(emu, 55)
    body = emu.call("GET", "/profile-templates").json()
    assert len(body["profileTemplates"]) == 50
    assert body["nextPageToken"]
    rest = emu.call("GET", "/profile-templates", params={"pageToken": body["nextPageToken"]}).json()
    assert [t["displayName"] for t in rest["profileTemplates"]] == [f"t{i:03d}" for i in range(50, 55)]
    assert "nextPageToken" not in rest


def test_page_size_above_100_is_lowered_to_100(emu):
    make_templates(emu, 105)
    body = emu.call("GET", "/profile-templates", params={"pageSize": 500}).json()
    assert len(body["profileTemplates"]) == 100


def test_small_pages_walk_everything_in_creation_order(emu):
    make_templates(emu, 7)
    names, token = [], ""
    for _ in range(10):
        body = emu.call("GET", "/profile-templates", params={"pageSize": 3, "pageToken": token}).json()
        names += [t["displayName"] for t in body["profileTemplates"]]
        token = body.get("nextPageToken", "")
        if not token:
            break
    assert names == [f"t{i:03d}" for i in range(7)]


def test_negative_page_size_is_400(emu):
    response = emu.call("GET", "/profile-templates", params={"pageSize": -1})
    assert_error(response, 400, 3, "page_size must not be negative")


def test_non_integer_page_size_is_400(emu):
    assert_error(
        emu.call("GET", "/managed-runners", params={"pageSize": "ten"}), 400, 3, "page_size must be an integer"
    )


@pytest.mark.parametrize("token", ["garbage", "!!!", base64.urlsafe_b64encode(b"profile_template:1:0000").decode()])
def test_unknown_or_tampered_page_token_is_400(emu, token):
    response = emu.call("GET", "/profile-templates", params={"pageToken": token})
    assert_error(response, 400, 3, "page_token is not valid for this list")


def test_page_token_is_bound_to_list_and_organization(emu):
    make_templates(emu, 3)
    token = emu.call("GET", "/profile-templates", params={"pageSize": 1}).json()["nextPageToken"]
    raw = base64.urlsafe_b64decode(token + "==").decode()
    kind, seq, signature = raw.split(":")
    tampered = base64.urlsafe_b64encode(f"{kind}:{int(seq) - 1}:{signature}".encode()).decode().rstrip("=")
    for method_path, tok, caller in (
        ("/managed-runners", token, "demo-admin-token"),
        ("/profile-templates", token, "other-org-admin-token"),
        ("/profile-templates", tampered, "demo-admin-token"),
    ):
        response = emu.call("GET", method_path, token=caller, params={"pageToken": tok})
        assert_error(response, 400, 3, "page_token is not valid for this list")


def test_no_item_skipped_or_repeated_while_others_create_and_delete(emu):
    make_templates(emu, 40)
    stable = {f"t{i:03d}" for i in range(0, 40, 2)}
    stop = threading.Event()
    errors = []

    def churn():
        for n in range(200):
            if stop.is_set():
                break
            created = emu.call(
                "POST", "/profile-templates", json={"profileTemplate": {"displayName": f"n{n}", "spec": {}}}
            )
            victim = f"t{(n * 2 + 1) % 40:03d}"
            deleted = emu.call("DELETE", f"/profile-templates/{victim}")
            if created.status_code != 200 or deleted.status_code not in (200, 404):
                errors.append((created.status_code, deleted.status_code))

    worker = threading.Thread(target=churn)
    worker.start()
    try:
        for _ in range(5):
            seen, token = [], ""
            for _ in range(200):
                body = emu.call("GET", "/profile-templates", params={"pageSize": 4, "pageToken": token}).json()
                seen += [t["displayName"] for t in body["profileTemplates"]]
                token = body.get("nextPageToken", "")
                if not token:
                    break
            assert len(seen) == len(set(seen)), "an item was repeated"
            assert stable <= set(seen), "an item that existed throughout was skipped"
    finally:
        stop.set()
        worker.join(timeout=30)
    assert not errors
