# Copyright (c) 2026, coreweave.sandbox contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Every write of the collection under every injected fault: right end state, no duplicate, no lost binding.

The emulator injects one fault into the write request of each case. ``when: after`` commits the write before
answering with the fault, so the module cannot know from the answer whether the write landed. Each case records a
row of the table in docs/guarantees-under-faults.md; the table is written at the end of a run of the whole matrix.
"""

from __future__ import annotations

import time

import pytest
from conftest import api_args, module_missing, record_fault_row, stable_state

TIMEOUT = 1.0  # api_timeout of every case, seconds
SLOW = 2.0  # how long the slow answer takes: more than TIMEOUT
RETRIES = 2  # api_retries of every case

FAULTS = [
    ("500 before commit", {"status": 500, "when": "before"}),
    ("500 after commit", {"status": 500, "when": "after"}),
    ("503 + Retry-After", {"status": 503, "retryAfter": 1, "when": "before"}),
    ("429", {"status": 429, "when": "before"}),
    ("drop before commit", {"drop": True, "when": "before"}),
    ("drop after commit", {"drop": True, "when": "after"}),
    ("slower than api_timeout", {"delay": SLOW, "when": "after"}),
    (f"exhausted: 503 x{RETRIES + 2}", {"status": 503, "count": RETRIES + 2, "when": "before"}),
]

TEMPLATE = "fm-template"
TEMPLATE_B = "fm-template-b"
RUNNER = "fm-runner"


def _templates(state, name):
    return [t for t in state["profileTemplates"] if t["displayName"] == name and t["organization"] == "org-demo"]


def _runners(state, runner_id):
    return [r for r in state["runners"] if r["identity"]["runnerId"] == runner_id]


def _bindings(runner):
    return sorted((b["profileTemplateId"], bool(b.get("isDefault"))) for b in runner.get("profileBindings", []))


# ----- the writes ---------------------------------------------------------------------------------------


class Write:
    """One write of the collection: how to set it up, the task, the faulted request and the expected end."""

    name = ""
    module = ""
    method = ""
    route = ""

    def setup(self, emu):
        return {}

    def args(self, ctx):
        raise NotImplementedError

    def check(self, state, ctx):
        raise NotImplementedError


class TemplateCreate(Write):
    name, module, method, route = "profile_template create", "profile_template", "POST", "/profile-templates"

    def args(self, ctx):
        return {"display_name": TEMPLATE, "description": "created", "spec": {"container_image": "example/img:2"}}

    def check(self, state, ctx):
        found = _templates(state, TEMPLATE)
        assert len(found) == 1, f"expected exactly one template, found {len(found)}"
        assert found[0].get("description") == "created"


class TemplateUpdate(Write):
    name, module, method, route = "profile_template update", "profile_template", "PATCH", "/profile-templates/{id}"

    def setup(self, emu):
        return {"template": emu.template(TEMPLATE, description="old")}

    def args(self, ctx):
        return {"display_name": TEMPLATE, "description": "new"}

    def check(self, state, ctx):
        found = _templates(state, TEMPLATE)
        assert len(found) == 1
        assert found[0]["id"] == ctx["template"]["id"]
        assert found[0].get("description") == "new"
        assert found[0].get("spec") == ctx["template"].get("spec")


class TemplateDelete(Write):
    name, module, method, route = "profile_template delete", "profile_template", "DELETE", "/profile-templates/{id}"

    def setup(self, emu):
        return {"template": emu.template(TEMPLATE)}

    def args(self, ctx):
        return {"display_name": TEMPLATE, "state": "absent"}

    def check(self, state, ctx):
        assert _templates(state, TEMPLATE) == []


class RunnerCreate(Write):
    name, module, method, route = "managed_runner create", "managed_runner", "POST", "/managed-runners"

    def setup(self, emu):
        return {"template": emu.template(TEMPLATE)}

    def args(self, ctx):
        return {
            "runner_id": RUNNER,
            "zone": "US-EAST-04A",
            "cluster_name": "prod-east",
            "profile_bindings": [{"profile": TEMPLATE, "default": True}],
            "wait": False,
        }

    def check(self, state, ctx):
        found = _runners(state, RUNNER)
        assert len(found) == 1, f"expected exactly one runner, found {len(found)}"
        assert _bindings(found[0]) == [(ctx["template"]["id"], True)]


class RunnerUpdate(Write):
    name, module, method, route = "managed_runner update", "managed_runner", "PATCH", "/managed-runners/{id}"

    def setup(self, emu):
        first, second = emu.template(TEMPLATE), emu.template(TEMPLATE_B)
        runner = emu.runner(RUNNER, "prod-east", [first["id"]])
        return {"first": first, "second": second, "runner": runner}

    def args(self, ctx):
        return {
            "runner_id": RUNNER,
            "release_channel": "rapid",
            "profile_bindings": [{"profile": TEMPLATE, "default": True}, {"profile": TEMPLATE_B}],
            "wait": False,
        }

    def check(self, state, ctx):
        found = _runners(state, RUNNER)
        assert len(found) == 1
        assert found[0]["id"] == ctx["runner"]["id"]
        assert found[0]["managedSpec"]["releaseChannel"] == "RELEASE_CHANNEL_RAPID"
        expected = sorted([(ctx["first"]["id"], True), (ctx["second"]["id"], False)])
        assert _bindings(found[0]) == expected, "bindings lost or changed"


class RunnerDelete(Write):
    name, module, method, route = "managed_runner delete", "managed_runner", "DELETE", "/managed-runners/{id}"

    def setup(self, emu):
        template = emu.template(TEMPLATE)
        return {"runner": emu.runner(RUNNER, "prod-east", [template["id"]])}

    def args(self, ctx):
        return {"runner_id": RUNNER, "state": "absent", "wait": True, "wait_timeout": 20}

    def check(self, state, ctx):
        assert _runners(state, RUNNER) == [], "the runner is still stored"


class ApplyUpdate(Write):
    name, module, method, route = (
        "managed_runner apply_update",
        "managed_runner",
        "POST",
        "/managed-runners/{id}/apply-update",
    )

    def setup(self, emu):
        template = emu.template(TEMPLATE)
        runner = emu.runner(RUNNER, "prod-east", [template["id"]])
        emu.wait_ready(RUNNER)
        emu.control("POST", f"/runners/{RUNNER}/update-available", {"available": True})
        return {"template": template, "runner": runner}

    def args(self, ctx):
        return {"runner_id": RUNNER, "apply_update": True, "wait": False}

    def check(self, state, ctx):
        found = _runners(state, RUNNER)
        assert len(found) == 1
        sim = found[0]["sim"]
        assert sim["targetRevision"] == 2, "expected one rollout, target revision is {}".format(sim["targetRevision"])
        assert not sim["updateAvailable"]
        assert _bindings(found[0]) == [(ctx["template"]["id"], True)], "bindings lost or changed"


WRITES = [TemplateCreate(), TemplateUpdate(), TemplateDelete(), RunnerCreate(), RunnerUpdate(), RunnerDelete()]
WRITES.append(ApplyUpdate())
CASES = [(write, fault_name, fault) for write in WRITES for fault_name, fault in FAULTS]


def _compress(entries):
    """``GET 404, POST 500, POST 500`` as ``GET404 POST500 x2``."""
    words = [e["method"] + (str(e["status"]) if e["status"] is not None else "-dropped") for e in entries]
    out = []
    for word in words:
        if out and out[-1][0] == word:
            out[-1][1] += 1
        else:
            out.append([word, 1])
    return " ".join(word if count == 1 else f"{word} x{count}" for word, count in out)


def _outcome(status, result, exhausted):
    if status != "FAILED":
        return "converged"
    error = result.get("error") or {}
    return "failed, {} attempts, {}".format(error.get("attempts"), error.get("status"))


@pytest.mark.parametrize(
    "write, fault_name, fault",
    CASES,
    ids=["{}-{}".format(w.name.replace(" ", "_"), f.split(":")[0].replace(" ", "_")) for w, f, _ in CASES],
)
def test_write_under_fault(emu, ansible, run_dir, write, fault_name, fault):
    missing = module_missing(write.module)
    if missing:
        pytest.skip(missing)
    exhausted = fault_name.startswith("exhausted")
    ctx = write.setup(emu)
    before = stable_state(emu.state())
    emu.clear_requests()
    emu.fault(method=write.method, route=write.route, **dict({"count": 1}, **fault))
    args = dict(api_args(emu, api_timeout=TIMEOUT, api_retries=RETRIES), **write.args(ctx))
    run, (status, result) = ansible.task(write.module, args, emu)
    seen = emu.requests()
    deadline = time.monotonic() + SLOW + 3
    while "delay" in fault and time.monotonic() < deadline and not any(e["durationMs"] >= SLOW * 1000 for e in seen):
        # the slow answer is logged when it is sent: wait for it, so that it belongs to this case
        time.sleep(0.1)
        seen = emu.requests()
    state = emu.state()
    record_fault_row(
        run_dir,
        {
            "index": CASES.index((write, fault_name, fault)),
            "of": len(CASES),
            "case": write.name,
            "fault": fault_name,
            "outcome": _outcome(status, result, exhausted),
            "changed": str(result.get("changed")).lower(),
            "requests": _compress(seen),
        },
    )
    writes_seen = [e for e in seen if e["method"] == write.method and e["route"] == write.route]
    if exhausted:
        assert status == "FAILED", run.output
        msg = result["msg"]
        assert write.method in msg and write.route.split("/{")[0] in msg, msg
        assert f"{RETRIES + 1} attempts" in msg, msg
        assert "503" in msg and "UNAVAILABLE" in msg, msg
        assert result["error"]["attempts"] == RETRIES + 1
        assert len(writes_seen) == RETRIES + 1, _compress(seen)
        assert stable_state(state) == before, "a failed write left a partial change"
        return
    assert status == "CHANGED", run.output
    assert result["changed"] is True
    write.check(state, ctx)
    assert 1 <= len(writes_seen) <= RETRIES + 1, _compress(seen)
