#!/usr/bin/env bash
# The demo that `make demo` runs against the local emulator: converge the example fleet, show that a second run
# changes nothing, dry-run an edited fleet with --check --diff, then list the runners and their bindings.
# It expects COREWEAVE_API_ENDPOINT, COREWEAVE_API_TOKEN and SANDBOX_EMULATOR_URL (tools/with_emulator.py sets
# them) and the collection below ANSIBLE_COLLECTIONS_PATH (default: build/, which `make collection` fills).
set -euo pipefail

cd "$(dirname "$0")/.."
: "${COREWEAVE_API_ENDPOINT:?set COREWEAVE_API_ENDPOINT to the emulator, or run make demo}"
: "${COREWEAVE_API_TOKEN:?set COREWEAVE_API_TOKEN, or run make demo}"
: "${SANDBOX_EMULATOR_URL:?set SANDBOX_EMULATOR_URL to the emulator test-control URL, or run make demo}"
case "$COREWEAVE_API_ENDPOINT" in
  http://127.0.0.1:*) ;;
  *) echo "demo: COREWEAVE_API_ENDPOINT must be the local emulator (http://127.0.0.1:PORT)" >&2; exit 2 ;;
esac

export ANSIBLE_COLLECTIONS_PATH="${ANSIBLE_COLLECTIONS_PATH:-$PWD/build}"
export ANSIBLE_LOCALHOST_WARNING=False ANSIBLE_INVENTORY_UNPARSED_WARNING=False ANSIBLE_NOCOLOR=True
PYTHON="${PYTHON:-python3}"
output="$(mktemp -d)"
trap 'rm -rf "$output"' EXIT

step() { printf '\n===== %s\n\n' "$*"; }

# The PLAY RECAP line of localhost, e.g. "ok=7 changed=0 unreachable=0 failed=0 ...".
recap() { grep -E '^localhost +:' "$1" | tail -n 1 | sed -E 's/^localhost +: +//; s/ +/ /g'; }

changed() { recap "$1" | sed -E 's/.*changed=([0-9]+).*/\1/'; }

# Count the requests of the emulator's request log other than reads.
writes() {
  "$PYTHON" - "$SANDBOX_EMULATOR_URL" <<'PY'
import json, sys, urllib.request
with urllib.request.urlopen(sys.argv[1] + "/requests", timeout=10) as response:
    log = json.load(response)["requests"]
writes = [f"{e['method']} {e['path']}" for e in log if e["method"] != "GET"]
print(len(writes), "writes among", len(log), "requests", *writes, sep="\n  " if writes else " ")
sys.exit(1 if writes else 0)
PY
}

clear_requests() {
  "$PYTHON" -c 'import sys, urllib.request
urllib.request.urlopen(urllib.request.Request(sys.argv[1] + "/requests", method="DELETE"), timeout=10).read()' \
    "$SANDBOX_EMULATOR_URL"
}

step "1/4 converge the example fleet: five profile templates, two runners, wait until READY and CONNECTED"
ansible-playbook playbooks/fleet.yml | tee "$output/converge.txt"

step "2/4 converge again: nothing changes"
ansible-playbook playbooks/fleet.yml | tee "$output/again.txt"
if [ "$(changed "$output/again.txt")" != 0 ]; then
  echo "demo: the second run changed something: $(recap "$output/again.txt")" >&2
  exit 1
fi
echo "idempotent: $(recap "$output/again.txt")"

step "3/4 dry run of an edited fleet (default-cpu on a new image, research-west also offers default-cpu)"
clear_requests
ansible-playbook playbooks/fleet.yml -e @playbooks/vars/fleet-edited.yml --check --diff | tee "$output/check.txt"
if [ "$(changed "$output/check.txt")" != 2 ]; then
  echo "demo: expected two changes (one profile template, one runner): $(recap "$output/check.txt")" >&2
  exit 1
fi
printf 'nothing written: '
writes

step "4/4 the runners and their bindings, from runner_info"
ansible-playbook playbooks/show.yml

printf '\ndemo finished\n'
