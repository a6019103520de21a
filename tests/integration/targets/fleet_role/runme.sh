#!/usr/bin/env bash
# The fleet role end to end against the emulator, with the example fleet of the demo playbook:
# converge, converge again with changed=0 in the play recap, keys removed from fleet entries cleared, prune in
# check mode and for real, a misspelt fleet rejected by argument validation before any request, a fleet with
# duplicate entries refused before any request, and the fleet file
# checks of the playbook: a missing file, a relative path taken from the current directory, an unknown top-level
# key, and prune with an empty fleet.
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

here="$PWD"
fleet() { ansible-playbook coreweave.sandbox.fleet -e "@$here/api.yml" "$@"; }
emulator() { ansible-playbook "$here/emulator.yml" -e "control=$1" "${@:2}"; }

# Run the fleet playbook, expecting it to fail; its output goes to the file named first.
fleet_fails() {
  local log="$1"
  shift
  if fleet "$@" > "$log" 2>&1; then
    cat "$log"
    echo "the fleet playbook succeeded where it must fail" >&2
    exit 1
  fi
  cat "$log"
}
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

# The fleet is authoritative for the fields of each declared entry: keys removed from an entry clear the fields,
# and a rerun changes nothing. Converging the example fleet again restores them.
fleet -e sandbox_fleet_file=drift-fleet.yml "$@" | tee "$output/drift.txt"
grep -q 'profile templates: created 0, updated 1 (default-cpu), deleted 0, unchanged 0' "$output/drift.txt"
grep -q 'runners: created 0, updated 1 (prod-east-managed), deleted 0, unchanged 0' "$output/drift.txt"
ansible-playbook drift-check.yml "$@"
fleet -e sandbox_fleet_file=drift-fleet.yml "$@" | tee "$output/drift-again.txt"
test "$(changed "$output/drift-again.txt")" = 0
fleet "$@" | tee "$output/restore.txt"
grep -q 'updated 1 (default-cpu)' "$output/restore.txt"
grep -q 'updated 1 (prod-east-managed)' "$output/restore.txt"

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

# A fleet that declares a profile template or a runner twice fails, naming them, before any request; in check
# mode too.
emulator clear "$@"
for mode in --diff --check; do
  fleet_fails "$output/duplicate.txt" -e sandbox_fleet_file=duplicate-fleet.yml "$mode" "$@"
  grep -q 'duplicate display_name in sandbox_profiles: fleet-role-twice;' "$output/duplicate.txt"
  grep -q 'duplicate runner_id in sandbox_runners: fleet-role-twice\.' "$output/duplicate.txt"
done
emulator no_requests "$@"

# A fleet file that does not exist fails, naming the path it looked for, before any request.
emulator clear "$@"
fleet_fails "$output/missing.txt" -e sandbox_fleet_file=no-such-fleet.yml "$@"
grep -q "fleet file $PWD/no-such-fleet.yml (sandbox_fleet_file no-such-fleet.yml relative to the current directory" \
  "$output/missing.txt"
grep -q 'does not exist; nothing was sent to the API' "$output/missing.txt"
emulator no_requests "$@"

# A relative path is taken from the current directory, not from the playbook's.
mkdir "$output/fleets"
cp relative-fleet.yml "$output/fleets/my-fleet.yml"
emulator clear "$@"
(cd "$output/fleets" && fleet -e sandbox_fleet_file=my-fleet.yml --check "$@") | tee "$output/relative.txt"
grep -q 'profile templates: created 1 (fleet-role-relative), updated 0, deleted 0, unchanged 0' "$output/relative.txt"
grep -q 'runners: created 0, updated 0, deleted 0, unchanged 0' "$output/relative.txt"
emulator no_writes "$@"

# A top-level key other than sandbox_profiles and sandbox_runners fails, naming the key, before any request.
emulator clear "$@"
fleet_fails "$output/unknown-key.txt" -e sandbox_fleet_file=unknown-key-fleet.yml "$@"
grep -q "fleet file $PWD/unknown-key-fleet.yml: unknown top-level key sandbox_profile;" "$output/unknown-key.txt"
emulator no_requests "$@"

# Prune with an empty fleet would delete everything: refused before any request, in check mode too, unless
# sandbox_prune_empty_fleet says so.
emulator clear "$@"
for mode in --diff --check; do
  fleet_fails "$output/empty-prune.txt" -e sandbox_fleet_file=empty-fleet.yml -e sandbox_prune=true "$mode" "$@"
  grep -q 'would delete every runner and every profile template' "$output/empty-prune.txt"
  grep -q 'sandbox_prune_empty_fleet' "$output/empty-prune.txt"
done
emulator no_requests "$@"
ansible-playbook check.yml -e expect=pruned "$@"
fleet -e sandbox_fleet_file=empty-fleet.yml -e sandbox_prune=true -e sandbox_prune_empty_fleet=true --check "$@" \
  | tee "$output/empty-prune-check.txt"
grep -q 'deleted 5 (agent-allowlist, default-cpu, ds-gpu-h100, eval-no-egress, minimal)' \
  "$output/empty-prune-check.txt"
grep -q 'runners: created 0, updated 0, deleted 2 (prod-east-managed, research-west)' "$output/empty-prune-check.txt"
emulator no_writes "$@"

# Prune keeps a template that a declared runner still binds, in check mode and for real alike; the templates bound
# only by the runners that the run prunes or rebinds go after those runners. Nothing fails, a rerun changes nothing.
ansible-playbook extra.yml "$@"
emulator clear "$@"
fleet -e sandbox_fleet_file=bound-fleet.yml -e sandbox_prune=true --check "$@" | tee "$output/bound-check.txt"
emulator no_writes "$@"
fleet -e sandbox_fleet_file=bound-fleet.yml -e sandbox_prune=true "$@" | tee "$output/bound.txt"
for run in bound-check bound; do
  grep -q 'profile template fleet-role-extra kept: still bound by research-west' "$output/$run.txt"
  grep -q 'deleted 4 (agent-allowlist, default-cpu, ds-gpu-h100, eval-no-egress)' "$output/$run.txt"
  grep -q 'deleted 2 (fleet-role-extra, prod-east-managed)' "$output/$run.txt"
done
fleet -e sandbox_fleet_file=bound-fleet.yml -e sandbox_prune=true "$@" | tee "$output/bound-again.txt"
test "$(changed "$output/bound-again.txt")" = 0
grep -q 'profile template fleet-role-extra kept: still bound by research-west' "$output/bound-again.txt"

emulator reset "$@"
