#!/usr/bin/env bash
# The fleet role end to end against the emulator, with the example fleet of the demo playbook:
# converge, converge again with changed=0 in the play recap, prune in check mode and for real, and a misspelt
# fleet rejected by argument validation before any request.
set -eux -o pipefail

# ansible-test copies tests/integration, with the integration configuration (API endpoint, tokens, emulator URL)
# that `make integration` writes, next to the targets; script targets read it from there.
config="$(cd ../.. && pwd)/integration_config.yml"
if [ ! -f "$config" ]; then
  echo "fleet_role: $config is missing; run the target through make integration" >&2
  exit 1
fi
set -- -e "@$config" "$@"

export ANSIBLE_LOCALHOST_WARNING=False ANSIBLE_INVENTORY_UNPARSED_WARNING=False ANSIBLE_NOCOLOR=True
output="$(mktemp -d)"
trap 'rm -rf "$output"' EXIT

fleet() { ansible-playbook coreweave.sandbox.fleet -e @api.yml "$@"; }
emulator() { ansible-playbook emulator.yml -e "control=$1" "${@:2}"; }
recap() { grep -E '^localhost +:' "$1" | tail -n 1; }
changed() { recap "$1" | sed -E 's/.*changed=([0-9]+).*/\1/'; }

emulator reset "$@"

# Converge the example fleet, then again: the second run changes nothing.
fleet "$@" | tee "$output/converge.txt"
grep -q 'runners: created 2 (prod-east-managed, research-west)' "$output/converge.txt"
grep -q 'runner prod-east-managed: install READY, connection CONNECTED' "$output/converge.txt"
grep -q 'runner research-west: install READY, connection CONNECTED' "$output/converge.txt"
fleet "$@" | tee "$output/again.txt"
test "$(changed "$output/again.txt")" = 0
grep -q 'unchanged 5 (ds-gpu-h100, agent-allowlist, default-cpu, eval-no-egress, minimal)' "$output/again.txt"

# Without sandbox_prune, what the fleet does not declare stays.
ansible-playbook extra.yml "$@"
fleet "$@" | tee "$output/keep.txt"
test "$(changed "$output/keep.txt")" = 0
ansible-playbook check.yml -e expect=fleet "$@"

# Prune in check mode: both deletions are reported, nothing is written.
emulator clear "$@"
fleet -e sandbox_prune=true --check --diff "$@" | tee "$output/prune-check.txt"
grep -q 'deleted 1 (fleet-role-extra)' "$output/prune-check.txt"
test "$(grep -c 'deleted 1 (fleet-role-extra)' "$output/prune-check.txt")" = 2
emulator no_writes "$@"
ansible-playbook check.yml -e expect=fleet "$@"

# Prune for real: the runner goes first, then the template it bound; a rerun changes nothing.
fleet -e sandbox_prune=true "$@" | tee "$output/prune.txt"
test "$(grep -c 'deleted 1 (fleet-role-extra)' "$output/prune.txt")" = 2
ansible-playbook check.yml -e expect=pruned "$@"
fleet -e sandbox_prune=true "$@" | tee "$output/prune-again.txt"
test "$(changed "$output/prune-again.txt")" = 0

# A misspelt key fails at argument validation, before any request.
emulator clear "$@"
if fleet -e @typo.yml "$@" > "$output/typo.txt" 2>&1; then
  cat "$output/typo.txt"
  echo "a fleet with misspelt keys was accepted" >&2
  exit 1
fi
cat "$output/typo.txt"
grep -q 'Validation of arguments failed' "$output/typo.txt"
grep -q 'sandbox_profiles.spec.contianer_image' "$output/typo.txt"
grep -q 'sandbox_runners.profile_bindngs' "$output/typo.txt"
emulator no_requests "$@"

emulator reset "$@"
