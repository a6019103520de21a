# Copyright (c) 2026, coreweave.sandbox contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""System tests: the collection's modules run by ansible-playbook against a local control-plane emulator.

Every pytest process (each xdist worker too) starts its own emulator on a free 127.0.0.1 port and stops it at
teardown, so tests never share state. Playbooks run the collection from ``build/`` (``make collection``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests

REPO = Path(__file__).resolve().parents[2]
BUILD = REPO / "build"
COLLECTION = BUILD / "ansible_collections" / "coreweave" / "sandbox"
EMULATOR_CONFIG = REPO / "emulator" / "demo-config.toml"
API_PREFIX = "/v1beta2/sandbox"

ADMIN = "demo-admin-token"
USER = "demo-user-token"
OTHER = "other-org-admin-token"

# Short lifecycle timings: a runner is READY a fraction of a second after it is created.
FAST_TIMINGS = ("pending=0.05", "provisioning=0.15", "heartbeat_interval=0.1", "liveness_window=2", "deleting=0.1")
PLAYBOOK_TIMEOUT = 240
RUN_DIR_ENV = "SANDBOX_SYSTEM_TEST_RUN_DIR"


def module_missing(name):
    """Why a test cannot run yet: the module is not part of the built collection; ``None`` when it is."""
    if not (COLLECTION / "plugins" / "modules" / (name + ".py")).exists():
        return f"module coreweave.sandbox.{name} is not in the built collection"
    return None


def role_missing(name):
    if not (COLLECTION / "roles" / name).is_dir():
        return f"role coreweave.sandbox.{name} is not in the built collection"
    return None


class Emulator:
    """One emulator process on 127.0.0.1 and a small client for its API and test-control interface."""

    def __init__(self, workdir, tls=None):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.workdir / "emulator.log"
        port_file = self.workdir / "port"
        command = [sys.executable, "-m", "sandbox_emulator", "--config", str(EMULATOR_CONFIG)]
        command += ["--port", "0", "--port-file", str(port_file), "--test-control", "--memory"]
        command += ["--log-level", "debug"]
        for timing in FAST_TIMINGS:
            command += ["--timing", timing]
        self.scheme = "http"
        self.verify = True
        if tls is not None:
            command += ["--tls-cert", str(tls["cert"]), "--tls-key", str(tls["key"])]
            self.scheme = "https"
            self.verify = str(tls["ca"])
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - open for the life of the process
        self.process = subprocess.Popen(command, stdout=self._log, stderr=subprocess.STDOUT, cwd=str(self.workdir))
        deadline = time.monotonic() + 20
        port = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("the emulator exited: {}".format(self.log_path.read_text(errors="replace")))
            if port_file.exists() and port_file.read_text().strip():
                port = int(port_file.read_text().strip())
                break
            time.sleep(0.05)
        if port is None:
            self.stop()
            raise RuntimeError("the emulator did not start within 20 seconds")
        self.port = port
        self.root = f"{self.scheme}://127.0.0.1:{port}"
        # verify is passed with each request: a session's own setting loses to REQUESTS_CA_BUNDLE
        self.http = requests.Session()

    def stop(self):
        if getattr(self, "http", None) is not None:
            self.http.close()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log.close()

    def log_text(self):
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")

    # ----- test control -------------------------------------------------------------------------------

    def control(self, method, path, body=None):
        response = self.http.request(method, self.root + "/_emulator" + path, json=body, timeout=10, verify=self.verify)
        assert response.status_code == 200, response.text
        return response.json()

    def reset(self):
        self.control("POST", "/reset")

    def state(self):
        return self.control("GET", "/state")

    def requests(self):
        return self.control("GET", "/requests")["requests"]

    def clear_requests(self):
        self.control("DELETE", "/requests")

    def fault(self, **fault):
        return self.control("POST", "/faults", fault)

    def clear_faults(self):
        self.control("DELETE", "/faults")

    # ----- API ----------------------------------------------------------------------------------------

    def api(self, method, route, body=None, token=ADMIN, expect=200):
        response = self.http.request(
            method,
            self.root + API_PREFIX + route,
            json=body,
            headers={"Authorization": "Bearer " + token},
            timeout=10,
            verify=self.verify,
        )
        if expect is not None:
            assert response.status_code == expect, f"{method} {route}: {response.text}"
        return response.json() if response.content else {}

    def template(self, name, **fields):
        body = {"displayName": name, "spec": fields.pop("spec", {"containerImage": "example/img:1"})}
        body.update(fields)
        return self.api("POST", "/profile-templates", {"profileTemplate": body})

    def runner(self, runner_id, cluster, templates, **fields):
        runner = {
            "identity": {"zone": fields.pop("zone", "US-EAST-04A"), "clusterName": cluster},
            "profileBindings": [
                {"profileTemplateId": tid, "isDefault": index == 0} for index, tid in enumerate(templates)
            ],
        }
        runner.update(fields)
        return self.api("POST", "/managed-runners", {"runnerId": runner_id, "runner": runner})

    def wait_ready(self, runner_id, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            runner = self.api("GET", "/managed-runners/" + runner_id)
            if runner.get("installStatus") == "RUNNER_INSTALL_STATUS_READY":
                return runner
            time.sleep(0.05)
        raise AssertionError(f"runner {runner_id} did not become READY")

    @property
    def endpoint(self):
        return self.root

    def writes(self):
        return [entry for entry in self.requests() if entry["method"] != "GET"]


def stable_state(state):
    """The stored resources without what the lifecycle simulation moves on its own."""
    out = {}
    for kind, items in state.items():
        out[kind] = sorted(
            ({k: v for k, v in item.items() if k != "sim"} for item in items), key=lambda item: item.get("id", "")
        )
    return out


# ----- playbooks ---------------------------------------------------------------------------------------

RESULT_LINE = re.compile(r"^(\S+) \| (SUCCESS|CHANGED|FAILED!|UNREACHABLE!|SKIPPED)(?: \| [^=]*)? => ", re.M)


class PlaybookRun:
    def __init__(self, completed, results):
        self.returncode = completed.returncode
        self.stdout = completed.stdout
        self.stderr = completed.stderr
        self.results = results

    @property
    def output(self):
        return self.stdout + "\n" + self.stderr


def parse_minimal(text):
    """Task results, in order, from the ``minimal`` stdout callback: a list of (status, result dict)."""
    decoder = json.JSONDecoder()
    results = []
    for match in RESULT_LINE.finditer(text):
        try:
            data, _end = decoder.raw_decode(text, match.end())
        except ValueError:
            data = {"_unparsed": text[match.end() : match.end() + 500]}
        results.append((match.group(2).rstrip("!"), data))
    return results


def api_args(emulator, token=ADMIN, **extra):
    args = {"api_endpoint": emulator.endpoint, "api_token": token, "api_timeout": 5, "api_retries": 2}
    args.update(extra)
    return args


class Ansible:
    """Runs generated playbooks with the built collection, in a private Ansible home."""

    def __init__(self, workdir):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.count = 0

    def env(self, emulator, extra=None):
        env = {key: value for key, value in os.environ.items() if not key.startswith(("ANSIBLE_", "COREWEAVE_"))}
        home = self.workdir / "ansible-home"
        env.update(
            ANSIBLE_COLLECTIONS_PATH=str(BUILD),
            ANSIBLE_HOME=str(home),
            ANSIBLE_LOCAL_TEMP=str(home / "tmp"),
            ANSIBLE_REMOTE_TMP=str(home / "remote-tmp"),
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_RETRY_FILES_ENABLED="0",
            ANSIBLE_LOCALHOST_WARNING="0",
            ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
            ANSIBLE_DEPRECATION_WARNINGS="0",
            ANSIBLE_STDOUT_CALLBACK="ansible.builtin.minimal",
            ANSIBLE_PYTHON_INTERPRETER=sys.executable,
            # A task that forgot api_endpoint still talks to the local emulator, never to the real API.
            COREWEAVE_API_ENDPOINT=emulator.endpoint if emulator is not None else "http://127.0.0.1:9",
        )
        env.update(extra or {})
        return env

    def play(self, tasks, emulator, roles=None, vars=None, verbosity=0, check=False, diff=False, env=None):
        self.count += 1
        play = {
            "hosts": "localhost",
            "gather_facts": False,
            "connection": "local",
            "vars": dict(vars or {}, ansible_python_interpreter=sys.executable),
            "tasks": tasks,
        }
        if roles:
            play["roles"] = roles
        path = self.workdir / f"play-{self.count:03d}.yml"
        path.write_text(json.dumps([play], indent=1))
        command = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", str(path)]
        if verbosity:
            command.append("-" + "v" * verbosity)
        if check:
            command.append("--check")
        if diff:
            command.append("--diff")
        completed = subprocess.run(
            command,
            env=self.env(emulator, env),
            capture_output=True,
            text=True,
            timeout=PLAYBOOK_TIMEOUT,
            cwd=str(self.workdir),
        )
        return PlaybookRun(completed, parse_minimal(completed.stdout))

    def task(self, module, args, emulator, **kwargs):
        """Run one module task; return the run and the task's (status, result)."""
        tasks = [{"name": "case", "coreweave.sandbox." + module: args, "ignore_errors": True}]
        run = self.play(tasks, emulator, **kwargs)
        assert run.results, "no task result in the output:\n" + run.output
        return run, run.results[-1]


# ----- the generated fault table ------------------------------------------------------------------------

FAULT_DOC = REPO / "docs" / "guarantees-under-faults.md"
TABLE_START = "<!-- fault-table:start (generated by tests/system/test_fault_matrix.py) -->"
TABLE_END = "<!-- fault-table:end -->"


def record_fault_row(run_dir, row):
    rows = Path(run_dir) / "fault-rows"
    rows.mkdir(parents=True, exist_ok=True)
    (rows / f"{row['index']:03d}.json").write_text(json.dumps(row))


def write_fault_table(run_dir):
    """Write the fault matrix results into the docs page, when this run covered the whole matrix."""
    rows_dir = Path(run_dir) / "fault-rows"
    if not rows_dir.is_dir():
        return
    rows = [json.loads(path.read_text()) for path in sorted(rows_dir.glob("*.json"))]
    if not rows or len(rows) != rows[0]["of"] or not FAULT_DOC.exists():
        return
    lines = [TABLE_START]
    for case in dict.fromkeys(row["case"] for row in rows):
        lines += ["", "### " + case, "", "| Fault | Outcome | changed | Requests seen |", "|---|---|---|---|"]
        for row in rows:
            if row["case"] == case:
                lines.append(f"| {row['fault']} | {row['outcome']} | {row['changed']} | {row['requests']} |")
    lines += ["", TABLE_END]
    text = FAULT_DOC.read_text()
    head, found, rest = text.partition(TABLE_START)
    if found:
        tail = rest.partition(TABLE_END)[2]
        text = head + "\n".join(lines) + tail
    else:
        text = text.rstrip("\n") + "\n\n" + "\n".join(lines) + "\n"
    FAULT_DOC.write_text(text)


# ----- fixtures ----------------------------------------------------------------------------------------


def pytest_configure(config):
    if not hasattr(config, "workerinput") and RUN_DIR_ENV not in os.environ:
        os.environ[RUN_DIR_ENV] = tempfile.mkdtemp(prefix="sandbox-system-")


def pytest_sessionfinish(session, exitstatus):
    if hasattr(session.config, "workerinput"):
        return
    run_dir = os.environ.get(RUN_DIR_ENV)
    if not run_dir:
        return
    write_fault_table(Path(run_dir))
    shutil.rmtree(run_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def run_dir():
    path = Path(os.environ[RUN_DIR_ENV])
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def emulator(tmp_path_factory):
    if not EMULATOR_CONFIG.exists():
        pytest.skip("the emulator is not in this tree")
    server = Emulator(tmp_path_factory.mktemp("emulator"))
    yield server
    server.stop()


@pytest.fixture
def emu(emulator):
    """The session's emulator, emptied: no resources, no faults, an empty request log."""
    emulator.clear_faults()
    emulator.reset()
    yield emulator
    emulator.clear_faults()


@pytest.fixture(scope="session")
def ansible(tmp_path_factory):
    if not (COLLECTION / "galaxy.yml").exists():
        pytest.skip("the collection is not built: run make collection")
    return Ansible(tmp_path_factory.mktemp("ansible"))
