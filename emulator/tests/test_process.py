"""The emulator as a process: CLI, readiness line, persistence across kill -9, SIGTERM, TLS, logging."""

import os
import shutil
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
ADMIN = {"Authorization": "Bearer demo-admin-token"}
TIMINGS = ["--timing", "pending=0.1", "--timing", "provisioning=0.2", "--timing", "deleting=0.2"]


class Process:
    def __init__(self, tmp_path: Path, *args: str):
        self.port_file = tmp_path / f"port-{time.monotonic_ns()}"
        self.stderr_path = tmp_path / f"stderr-{time.monotonic_ns()}"
        self.stderr = open(self.stderr_path, "w")
        started = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sandbox_emulator", "--port-file", str(self.port_file), *args],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            text=True,
        )
        deadline = time.monotonic() + 15
        while not self.port_file.exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.kill()
                raise AssertionError(f"emulator did not start: {self.stderr_path.read_text()}")
            time.sleep(0.02)
        self.startup = time.monotonic() - started
        self.port = int(self.port_file.read_text())
        self.ready_line = self.proc.stdout.readline().strip()

    def url(self, scheme="http") -> str:
        return f"{scheme}://127.0.0.1:{self.port}/v1beta2/sandbox"

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.stderr.close()

    def terminate(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=10)
        self.stderr.close()
        return code


@pytest.fixture
def spawn(tmp_path):
    started = []

    def start(*args):
        process = Process(tmp_path, *args)
        started.append(process)
        return process

    yield start
    for process in started:
        process.kill()


def test_ready_line_and_port_file(spawn):
    process = spawn("--config", "demo-config.toml")
    assert process.ready_line == f"sandbox-emulator listening on http://127.0.0.1:{process.port}/v1beta2/sandbox"
    print(f"startup took {process.startup:.2f} s")
    response = requests.get(process.url() + "/managed-runners", headers=ADMIN, timeout=5)
    assert response.status_code == 200


def test_sigterm_exits_cleanly(spawn):
    process = spawn()
    assert process.terminate() == 0


def test_ctrl_c_exits_cleanly(spawn):
    process = spawn()
    process.proc.send_signal(signal.SIGINT)
    assert process.proc.wait(timeout=10) == 0


def test_state_survives_kill_9_and_restart(spawn, tmp_path):
    db = str(tmp_path / "state.db")
    first = spawn("--state", db, *TIMINGS)
    template = requests.post(
        first.url() + "/profile-templates",
        headers=ADMIN,
        json={"profileTemplate": {"displayName": "t", "spec": {"tags": ["a"]}}},
        timeout=5,
    ).json()
    runner_body = {
        "runnerId": "r1",
        "runner": {
            "identity": {"zone": "US-EAST-04A", "clusterName": "prod-east"},
            "profileBindings": [{"profileTemplateId": template["id"], "isDefault": True}],
        },
    }
    assert requests.post(first.url() + "/managed-runners", headers=ADMIN, json=runner_body, timeout=5).ok
    patch = {"runner": {"displayName": "Renamed"}, "update_mask": "display_name"}
    assert requests.patch(first.url() + "/managed-runners/r1", headers=ADMIN, json=patch, timeout=5).ok
    page = requests.get(first.url() + "/profile-templates", headers=ADMIN, params={"pageSize": 1}, timeout=5).json()
    os.kill(first.proc.pid, signal.SIGKILL)
    first.proc.wait(timeout=10)

    second = spawn("--state", db, *TIMINGS)
    runner = requests.get(second.url() + "/managed-runners/r1", headers=ADMIN, timeout=5).json()
    assert runner["displayName"] == "Renamed"
    deadline = time.monotonic() + 5
    while runner["installStatus"] != "RUNNER_INSTALL_STATUS_READY" and time.monotonic() < deadline:
        time.sleep(0.05)
        runner = requests.get(second.url() + "/managed-runners/r1", headers=ADMIN, timeout=5).json()
    assert runner["installStatus"] == "RUNNER_INSTALL_STATUS_READY"
    assert runner["profileBindings"][0]["profileTemplateId"] == template["id"]
    again = requests.get(second.url() + "/profile-templates", headers=ADMIN, params={"pageSize": 1}, timeout=5).json()
    assert again == page
    assert second.terminate() == 0


def test_request_log_lines_never_show_the_token(spawn):
    process = spawn()
    requests.get(process.url() + "/managed-runners", headers=ADMIN, params={"pageSize": 5}, timeout=5)
    assert process.terminate() == 0
    log = process.stderr_path.read_text()
    assert "GET /v1beta2/sandbox/managed-runners 200" in log
    assert "demo-admin-token" not in log and "pageSize" not in log


def test_help_describes_every_flag():
    from sandbox_emulator.cli import build_parser

    result = subprocess.run(
        [sys.executable, "-m", "sandbox_emulator", "--help"], cwd=ROOT, capture_output=True, timeout=30, text=True
    )
    assert result.returncode == 0, result.stderr
    help_text = " ".join(result.stdout.split())
    for action in build_parser()._actions:
        assert action.help and action.help.strip(), f"{action.option_strings} has no help"
        for flag in action.option_strings:
            assert flag in help_text
        assert " ".join(action.help.split()).split(" (")[0][:30] in help_text


def test_bad_config_is_reported(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[[tokens]]\ntoken = "t"\npermission = "ROOT"\norganization = "o"\n')
    result = subprocess.run(
        [sys.executable, "-m", "sandbox_emulator", "--config", str(bad)],
        cwd=ROOT,
        capture_output=True,
        timeout=30,
        text=True,
    )
    assert result.returncode == 2
    assert "token permission must be one of SANDBOX_ADMIN, SANDBOX_USER" in result.stderr


def test_tokens_and_clusters_from_flags(spawn):
    process = spawn("--token", "t1,SANDBOX_ADMIN,org-x", "--cluster", "c1,us-east-04a")
    headers = {"Authorization": "Bearer t1"}
    template = requests.post(
        process.url() + "/profile-templates",
        headers=headers,
        json={"profileTemplate": {"displayName": "t", "spec": {}}},
        timeout=5,
    ).json()
    body = {
        "runnerId": "r1",
        "runner": {
            "identity": {"zone": "US-EAST-04A", "clusterName": "c1"},
            "profileBindings": [{"profileTemplateId": template["id"], "isDefault": True}],
        },
    }
    assert requests.post(process.url() + "/managed-runners", headers=headers, json=body, timeout=5).status_code == 200
    assert requests.get(process.url() + "/managed-runners", headers=ADMIN, timeout=5).status_code == 401


def _self_signed(tmp_path: Path) -> tuple[str, str]:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    try:
        import datetime

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
    except ImportError:
        if not shutil.which("openssl"):
            pytest.skip("neither the cryptography package nor the openssl command is available to make a certificate")
        subprocess.run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-keyout",
                str(key),
                "-out",
                str(cert),
                "-days",
                "1",
                "-subj",
                "/CN=127.0.0.1",
                "-addext",
                "subjectAltName=IP:127.0.0.1",
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
        return str(cert), str(key)
    import ipaddress

    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .sign(private, hashes.SHA256())
    )
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return str(cert), str(key)


def test_tls_with_self_signed_certificate(spawn, tmp_path):
    cert, key = _self_signed(tmp_path)
    process = spawn("--tls-cert", cert, "--tls-key", key)
    assert process.ready_line.startswith("sandbox-emulator listening on https://127.0.0.1:")
    response = requests.get(process.url("https") + "/managed-runners", headers=ADMIN, verify=cert, timeout=5)
    assert response.status_code == 200
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(process.url("https") + "/managed-runners", headers=ADMIN, timeout=5)
    assert process.terminate() == 0
