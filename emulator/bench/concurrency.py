"""Concurrency benchmark of the sandbox emulator.

Starts an emulator on a free loopback port, runs N clients doing mixed reads and writes for a fixed time,
then prints throughput, latency percentiles and the count of 5xx answers, and checks that no acknowledged
resource was lost or duplicated. Exits non-zero on any violation.

    python bench/concurrency.py [--clients 32] [--seconds 10]
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time

import requests

ADMIN = {"Authorization": "Bearer demo-admin-token"}
ZONES = {
    "prod-east": "US-EAST-04A",
    "research-west": "US-WEST-01A",
    "staging-central": "US-CENTRAL-02A",
    "spare-east-1": "US-EAST-04A",
    "spare-east-2": "US-EAST-04A",
    "spare-west-1": "US-WEST-01A",
}
CLUSTERS = list(ZONES)


def start_emulator(workdir: str) -> tuple[subprocess.Popen, str]:
    port_file = os.path.join(workdir, "port")
    proc = subprocess.Popen(
        [sys.executable, "-m", "sandbox_emulator", "--memory", "--port-file", port_file, "--log-level", "warning"],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 15
    while not os.path.exists(port_file):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise SystemExit("the emulator did not start")
        time.sleep(0.02)
    with open(port_file) as handle:
        port = int(handle.read())
    return proc, f"http://127.0.0.1:{port}/v1beta2/sandbox"


def list_all(base: str, path: str, key: str) -> list[dict]:
    items, token = [], ""
    for _ in range(10_000):
        body = requests.get(base + path, headers=ADMIN, params={"pageSize": 100, "pageToken": token}, timeout=30).json()
        items += body.get(key, [])
        token = body.get("nextPageToken", "")
        if not token:
            return items
    raise SystemExit("pagination did not end")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as workdir:
        proc, base = start_emulator(workdir)
        try:
            return run(base, args)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


def run(base: str, args: argparse.Namespace) -> int:
    template = requests.post(
        base + "/profile-templates",
        headers=ADMIN,
        json={"profileTemplate": {"displayName": "base", "spec": {}}},
        timeout=30,
    ).json()
    lock = threading.Lock()
    latencies: list[float] = []
    created: set[str] = set()
    deleted: set[str] = set()
    server_errors: list[int] = []
    transport_errors: list[str] = []
    stop_at = time.monotonic() + args.seconds

    def client(n: int) -> None:
        rng = random.Random(args.seed * 1000 + n)
        session = requests.Session()
        mine: list[str] = []
        local: list[float] = []
        for i in range(1_000_000):
            if time.monotonic() >= stop_at:
                break
            roll = rng.random()
            started = time.perf_counter()
            try:
                if roll < 0.25:
                    name = f"c{n}-{i}"
                    body = {"profileTemplate": {"displayName": name, "spec": {"tags": [str(i)]}}}
                    response = session.post(base + "/profile-templates", headers=ADMIN, json=body, timeout=30)
                    if response.status_code == 200:
                        mine.append(name)
                        with lock:
                            created.add(name)
                elif roll < 0.35 and mine:
                    name = mine.pop(rng.randrange(len(mine)))
                    response = session.delete(f"{base}/profile-templates/{name}", headers=ADMIN, timeout=30)
                    if response.status_code == 200:
                        with lock:
                            deleted.add(name)
                elif roll < 0.45:
                    name = rng.choice(mine) if mine else "base"
                    body = {"profileTemplate": {"labels": {"n": str(i)}}, "update_mask": "labels"}
                    response = session.patch(f"{base}/profile-templates/{name}", headers=ADMIN, json=body, timeout=30)
                elif roll < 0.5:
                    cluster = rng.choice(CLUSTERS)
                    body = {
                        "runnerId": f"r-{cluster}",
                        "runner": {
                            "identity": {"zone": ZONES[cluster], "clusterName": cluster},
                            "profileBindings": [{"profileTemplateId": template["id"], "isDefault": True}],
                        },
                    }
                    response = session.post(base + "/managed-runners", headers=ADMIN, json=body, timeout=30)
                elif roll < 0.75:
                    response = session.get(
                        base + "/profile-templates", headers=ADMIN, params={"pageSize": 20}, timeout=30
                    )
                elif roll < 0.9:
                    response = session.get(base + "/managed-runners", headers=ADMIN, timeout=30)
                else:
                    response = session.get(base + "/profile-templates/base", headers=ADMIN, timeout=30)
            except requests.RequestException as exc:
                with lock:
                    transport_errors.append(type(exc).__name__)
                continue
            local.append(time.perf_counter() - started)
            if response.status_code >= 500:
                with lock:
                    server_errors.append(response.status_code)
        session.close()
        with lock:
            latencies.extend(local)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=args.seconds + 60)
    elapsed = time.monotonic() - began

    names = [t["displayName"] for t in list_all(base, "/profile-templates", "profileTemplates")]
    runners = list_all(base, "/managed-runners", "runners")
    expected = (created - deleted) | {"base"}
    duplicated = len(names) - len(set(names))
    lost = expected - set(names)
    phantom = set(names) - expected
    clusters = [r["identity"]["clusterId"] for r in runners]

    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies else 0.0

    print(f"clients: {args.clients}, duration: {elapsed:.1f} s, requests: {len(latencies)}")
    print(f"throughput: {len(latencies) / elapsed:.0f} requests/s")
    print(f"latency p50: {pct(0.50):.1f} ms, p99: {pct(0.99):.1f} ms, max: {pct(1.0):.1f} ms")
    print(f"5xx not injected: {len(server_errors)}, transport errors: {len(transport_errors)}")
    print(f"templates acknowledged: {len(created)}, deleted: {len(deleted)}, listed at end: {len(names)}")
    print(f"lost: {len(lost)}, duplicated: {duplicated}, phantom: {len(phantom)}, runners: {len(runners)}")
    violations = []
    if server_errors:
        violations.append("5xx answers")
    if transport_errors:
        violations.append("transport errors")
    if lost or duplicated or phantom:
        violations.append("lost, duplicated or phantom resources")
    if len(set(clusters)) != len(clusters):
        violations.append("two runners on one cluster")
    if violations:
        print("FAILED: " + ", ".join(violations))
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
