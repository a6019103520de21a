# Copyright (c) 2026, coreweave.sandbox contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The token never leaks; permissions and organizations are enforced; redirects to a write are failures."""

from __future__ import annotations

import http.server
import threading

import pytest
import requests
from conftest import ADMIN, OTHER, USER, api_args, module_missing, stable_state

pytestmark = pytest.mark.xdist_group("access")

TEMPLATE = "sa-template"
RUNNER = "sa-runner"


def _require(*modules):
    for module in modules:
        missing = module_missing(module)
        if missing:
            pytest.skip(missing)


def _task(module, args, name=None, **keywords):
    task = {"name": name or module, "coreweave.sandbox." + module: args, "ignore_errors": True}
    task.update(keywords)
    return task


# ----- secrets -----------------------------------------------------------------------------------------


def test_token_never_in_output(emu, ansible):
    """A succeeding and failing tasks at -vvvv, with --diff, the API echoing the token: no token anywhere."""
    _require("profile_template", "managed_runner", "runner_info")
    admin = api_args(emu, api_retries=1, api_timeout=2)
    echo = f"token {ADMIN} is not welcome here"
    # the API echoes the token back in a refusal, and in a retried server error
    emu.fault(method="POST", route="/profile-templates", status=400, message=echo, count=1)
    emu.fault(method="GET", route="/managed-runners/{id}", status=500, message=echo, count=5)
    tasks = [
        _task("profile_template", dict(admin, display_name=TEMPLATE, spec={}), "refused, token echoed"),
        _task("managed_runner", dict(admin, runner_id=RUNNER, state="absent"), "server error, token echoed"),
        _task("profile_template", dict(admin, display_name=TEMPLATE, description="created", spec={}), "succeeds"),
        _task("profile_template", dict(admin, display_name=TEMPLATE, description="updated"), "updates"),
        _task("runner_info", api_args(emu, token=USER), "reads with the user token"),
        _task("profile_template", dict(admin, api_token="not-" + ADMIN, display_name=TEMPLATE), "unknown token"),
    ]
    # the token from the environment is masked as well
    tasks.append(
        _task(
            "profile_template",
            {"api_endpoint": emu.endpoint, "display_name": TEMPLATE, "state": "absent"},
            "token from the environment",
        )
    )
    run = ansible.play(tasks, emu, verbosity=4, diff=True, env={"COREWEAVE_API_TOKEN": ADMIN})
    statuses = [status for status, _result in run.results]
    assert statuses == ["FAILED", "FAILED", "CHANGED", "CHANGED", "SUCCESS", "FAILED", "CHANGED"], run.output
    assert "is not welcome here" in run.output, "the echoed message is shown, with the token masked"
    assert "invocation" in run.output, "-vvvv shows the module invocation"
    for secret in (ADMIN, USER):
        assert secret not in run.stdout, "token in stdout"
        assert secret not in run.stderr, "token in stderr"
    assert ADMIN not in emu.log_text(), "token in the emulator's log"
    assert USER not in emu.log_text(), "token in the emulator's log"


# ----- permissions and organizations ---------------------------------------------------------------------


def _seed(emu):
    template = emu.template(TEMPLATE)
    second = emu.template(TEMPLATE + "-b")
    emu.runner(RUNNER, "prod-east", [template["id"]])
    emu.wait_ready(RUNNER)
    emu.control("POST", f"/runners/{RUNNER}/update-available", {"available": True})
    return template, second


def test_user_token_reads_but_never_writes(emu, ansible):
    _require("profile_template", "profile_template_info", "managed_runner", "runner_info")
    _seed(emu)
    before = stable_state(emu.state())
    emu.clear_requests()
    user = api_args(emu, token=USER)
    binding = [{"profile": TEMPLATE, "default": True}]
    writes = [
        _task("profile_template", dict(user, display_name="sa-new", spec={}), "template create"),
        _task("profile_template", dict(user, display_name=TEMPLATE, description="changed"), "template update"),
        _task("profile_template", dict(user, display_name=TEMPLATE, state="absent"), "template delete"),
        _task(
            "managed_runner",
            dict(user, runner_id="sa-new", zone="US-EAST-04A", cluster_name="spare-east-1", profile_bindings=binding),
            "runner create",
        ),
        _task("managed_runner", dict(user, runner_id=RUNNER, release_channel="rapid", wait=False), "runner update"),
        _task("managed_runner", dict(user, runner_id=RUNNER, apply_update=True, wait=False), "apply update"),
        _task("managed_runner", dict(user, runner_id=RUNNER, state="absent", wait=False), "runner delete"),
    ]
    reads = [
        _task("profile_template_info", user, "templates"),
        _task("runner_info", user, "runners"),
    ]
    run = ansible.play(writes + reads, emu)
    assert len(run.results) == len(writes) + len(reads), run.output
    for (status, result), task in zip(run.results[: len(writes)], writes):
        assert status == "FAILED", (task["name"], result)
        assert "SANDBOX_ADMIN" in result["msg"], (task["name"], result["msg"])
        assert result["error"]["status"] == 403, (task["name"], result)
    (templates_status, templates), (runners_status, runners) = run.results[len(writes) :]
    assert templates_status == "SUCCESS" and runners_status == "SUCCESS", run.output
    assert {t["display_name"] for t in templates["profile_templates"]} == {TEMPLATE, TEMPLATE + "-b"}
    assert [r["runner_id"] if "runner_id" in r else r["identity"]["runner_id"] for r in runners["runners"]] == [RUNNER]
    assert all(e["status"] == 403 for e in emu.requests() if e["method"] != "GET"), "a write was not refused"
    assert stable_state(emu.state()) == before


def test_403_without_permission_name_gets_a_hint(emu, ansible):
    """An API whose 403 message does not name the permission still gets a message that does."""
    _require("profile_template")
    emu.fault(method="POST", route="/profile-templates", status=403, message="forbidden", count=1)
    _run, (status, result) = ansible.task("profile_template", dict(api_args(emu), display_name="sa-x", spec={}), emu)
    assert status == "FAILED"
    assert "forbidden" in result["msg"] and "SANDBOX_ADMIN" in result["msg"], result["msg"]


def test_other_organization_sees_nothing_of_ours(emu, ansible):
    _require("profile_template_info", "runner_info")
    _seed(emu)
    other = api_args(emu, token=OTHER)
    tasks = [
        _task("profile_template_info", other, "all templates"),
        _task("profile_template_info", dict(other, display_name=TEMPLATE), "our template by name"),
        _task("runner_info", other, "all runners"),
        _task("runner_info", dict(other, runner_id=RUNNER), "our runner by id"),
    ]
    run = ansible.play(tasks, emu)
    assert [status for status, _result in run.results] == ["SUCCESS"] * 4, run.output
    assert run.results[0][1]["profile_templates"] == []
    assert run.results[1][1]["profile_templates"] == []
    assert run.results[2][1]["runners"] == []
    assert run.results[3][1]["runners"] == []


# ----- redirects -----------------------------------------------------------------------------------------


class _RedirectWrites(http.server.BaseHTTPRequestHandler):
    """Passes reads through to the emulator; answers every write with a redirect to the emulator."""

    target = ""

    def log_message(self, *args):
        return

    def _forward(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() in ("authorization", "content-type")}
        answer = requests.request(self.command, self.target + self.path, data=body, headers=headers, timeout=10)
        self.send_response(answer.status_code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer.content)))
        self.end_headers()
        self.wfile.write(answer.content)

    def _redirect(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.send_response(307)
        self.send_header("Location", self.target + self.path)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = _forward
    do_POST = do_PATCH = do_DELETE = _redirect


@pytest.fixture
def redirector(emu):
    handler = type("Handler", (_RedirectWrites,), {"target": emu.endpoint})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def test_redirect_to_a_write_is_a_failure(emu, ansible, redirector):
    _require("profile_template")
    emu.template(TEMPLATE + "-kept")
    before = stable_state(emu.state())
    emu.clear_requests()
    args = api_args(emu, api_endpoint=redirector)
    tasks = [
        _task("profile_template", dict(args, display_name=TEMPLATE, spec={}), "create"),
        _task("profile_template", dict(args, display_name=TEMPLATE + "-kept", description="x"), "update"),
        _task("profile_template", dict(args, display_name=TEMPLATE + "-kept", state="absent"), "delete"),
    ]
    run = ansible.play(tasks, emu)
    assert [status for status, _result in run.results] == ["FAILED"] * 3, run.output
    for (_status, result), method in zip(run.results, ("POST", "PATCH", "DELETE")):
        assert "redirect" in result["msg"] and method in result["msg"], result["msg"]
        assert result["error"]["status"] == 307
    assert [e for e in emu.requests() if e["method"] != "GET"] == [], "a redirect was followed"
    assert stable_state(emu.state()) == before
