"""A small-scale concurrency check: no 5xx, no lost or duplicated resource."""

import random
import threading
import time

from conftest import ADMIN


def test_mixed_clients_lose_and_duplicate_nothing(emu):
    base_template = emu.template("base")
    zones = {
        "prod-east": "US-EAST-04A",
        "research-west": "US-WEST-01A",
        "staging-central": "US-CENTRAL-02A",
        "spare-east-1": "US-EAST-04A",
        "spare-east-2": "US-EAST-04A",
        "spare-west-1": "US-WEST-01A",
    }
    clusters = list(zones)
    lock = threading.Lock()
    created, deleted, failures = set(), set(), []
    stop_at = time.monotonic() + 2.0

    def client(n: int) -> None:
        rng = random.Random(n)
        mine = []
        for i in range(10_000):
            if time.monotonic() > stop_at:
                break
            action = rng.random()
            if action < 0.35:
                name = f"c{n}-{i}"
                response = emu.call(
                    "POST", "/profile-templates", json={"profileTemplate": {"displayName": name, "spec": {}}}
                )
                if response.status_code == 200:
                    mine.append(name)
                    with lock:
                        created.add(name)
            elif action < 0.5 and mine:
                name = mine.pop(rng.randrange(len(mine)))
                response = emu.call("DELETE", f"/profile-templates/{name}")
                if response.status_code == 200:
                    with lock:
                        deleted.add(name)
            elif action < 0.6:
                cluster = rng.choice(clusters)
                body = {
                    "runnerId": f"r-{cluster}",
                    "runner": {
                        "identity": {"zone": zones[cluster], "clusterName": cluster},
                        "profileBindings": [{"profileTemplateId": base_template["id"], "isDefault": True}],
                    },
                }
                response = emu.call("POST", "/managed-runners", json=body)
            elif action < 0.8:
                response = emu.call("GET", "/profile-templates", params={"pageSize": 20})
            else:
                response = emu.call("GET", "/managed-runners", token=ADMIN)
            if response.status_code >= 500:
                failures.append((response.status_code, response.text))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not failures
    names = [t["displayName"] for t in emu.state()["profileTemplates"]]
    assert len(names) == len(set(names)), "duplicated resource"
    assert set(names) == (created - deleted) | {"base"}, "lost or phantom resource"
    runners = emu.state()["runners"]
    assert len({r["identity"]["clusterId"] for r in runners}) == len(runners), "two runners on one cluster"
