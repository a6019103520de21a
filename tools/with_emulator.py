#!/usr/bin/env python3
"""Run a command against a fresh control-plane emulator on 127.0.0.1, then stop the emulator.

The command sees COREWEAVE_API_ENDPOINT, COREWEAVE_API_TOKEN (the first admin token of the
configuration) and SANDBOX_EMULATOR_URL (the emulator root, for its test-control interface).
With --integration-config DIR, tests/integration/integration_config.yml is written below DIR
for ansible-test.
"""

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time

import tomllib


def admin_token(config):
    for entry in config.get("tokens", []):
        if entry.get("permission") == "SANDBOX_ADMIN":
            return entry["token"]
    sys.exit("with_emulator: the configuration has no SANDBOX_ADMIN token")


def tokens_by_role(config):
    roles = {}
    orgs = [t.get("organization") for t in config.get("tokens", [])]
    home = orgs[0] if orgs else None
    for entry in config.get("tokens", []):
        if entry.get("organization") != home:
            roles.setdefault("other_org_token", entry["token"])
        elif entry.get("permission") == "SANDBOX_ADMIN":
            roles.setdefault("admin_token", entry["token"])
        else:
            roles.setdefault("user_token", entry["token"])
    return roles


def start(config_path, port, extra):
    workdir = tempfile.mkdtemp(prefix="sandbox-emulator-")
    port_file = os.path.join(workdir, "port")
    command = [sys.executable, "-m", "sandbox_emulator", "--config", config_path, "--port", str(port)]
    command += ["--port-file", port_file, "--test-control"] + extra
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit("with_emulator: the emulator exited with status %s" % process.returncode)
        if os.path.exists(port_file):
            with open(port_file) as handle:
                text = handle.read().strip()
            if text:
                return process, int(text)
        time.sleep(0.05)
    process.kill()
    sys.exit("with_emulator: the emulator did not start within 20 seconds")


def stop(process):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def write_integration_config(collection_dir, url, config):
    path = os.path.join(collection_dir, "tests", "integration", "integration_config.yml")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    lines = [
        "sandbox_api_endpoint: %s" % url,
        "sandbox_emulator_url: %s/_emulator" % url,
    ]
    for role, token in sorted(tokens_by_role(config).items()):
        lines.append("sandbox_%s: %s" % (role, token))
    for index, cluster in enumerate(config.get("clusters", [])):
        lines.append("sandbox_cluster_%d: %s" % (index, cluster["name"]))
    with open(path, "w") as handle:
        handle.write("\n".join(lines) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True, help="emulator configuration (TOML)")
    parser.add_argument("--port", type=int, default=0, help="port to listen on; 0 picks a free one")
    parser.add_argument("--integration-config", metavar="DIR", help="collection directory to write the config into")
    parser.add_argument("--emulator-arg", action="append", default=[], help="extra emulator argument")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given")
    with open(args.config, "rb") as handle:
        config = tomllib.load(handle)
    process, port = start(args.config, args.port, args.emulator_arg)
    url = "http://127.0.0.1:%d" % port
    print("emulator listening on %s/v1beta2/sandbox" % url, flush=True)
    try:
        if args.integration_config:
            write_integration_config(args.integration_config, url, config)
        env = dict(os.environ)
        env.update(
            COREWEAVE_API_ENDPOINT=url,
            COREWEAVE_API_TOKEN=admin_token(config),
            SANDBOX_EMULATOR_URL=url + "/_emulator",
        )
        return subprocess.call(command, env=env)
    finally:
        stop(process)


if __name__ == "__main__":
    sys.exit(main())
