# coreweave.sandbox: setup, emulator, demo and tests. Needs only Python 3.11 (and Python 3.12 for the
# newest ansible-core) plus the package registries.

SHELL := /bin/bash
PYTHON ?= python3.11
PYTHON_LATEST ?= $(shell command -v pyenv >/dev/null 2>&1 && PYENV_VERSION=3.12.1 pyenv which python3.12 2>/dev/null || command -v python3.12)
VENV := .venv
VENV_LATEST := .venv-latest
CORE := ansible-core>=2.19,<2.20
CORE_LATEST := ansible-core
BUILD_ROOT := $(CURDIR)/build
COLLECTION := $(BUILD_ROOT)/ansible_collections/coreweave/sandbox
COLLECTION_CONTENT := galaxy.yml LICENSES meta plugins roles tests docs changelogs README.md playbooks
EMULATOR_PORT ?= 8765
WITH_EMULATOR = $(VENV)/bin/python tools/with_emulator.py
PIP_FLAGS := --quiet --disable-pip-version-check

.PHONY: help setup collection emulator demo test lint sanity units integration integration-latest units-latest \
	emulator-test changelog-lint role-lint system-test clean

help:
	@echo "make demo   - start the emulator and converge the example fleet against it"
	@echo "make test   - every check: lint, sanity, units, emulator, integration (2.19 and newest core)"
	@echo "make emulator - run the local control-plane emulator in the foreground (port \$$EMULATOR_PORT)"

$(VENV)/.done: requirements/runtime.txt requirements/dev.txt emulator/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install $(PIP_FLAGS) --upgrade pip
	$(VENV)/bin/pip install $(PIP_FLAGS) '$(CORE)' -r requirements/dev.txt -e emulator -r emulator/requirements-test.txt
	touch $@

$(VENV_LATEST)/.done: requirements/runtime.txt requirements/dev.txt emulator/pyproject.toml
	$(PYTHON_LATEST) -m venv $(VENV_LATEST)
	$(VENV_LATEST)/bin/pip install $(PIP_FLAGS) --upgrade pip
	$(VENV_LATEST)/bin/pip install $(PIP_FLAGS) '$(CORE_LATEST)' -r requirements/dev.txt -e emulator
	touch $@

# ansible-test builds its sanity environments with a pip bootstrap script that it downloads from a host outside
# the package registries; the documented alternative is a script placed in its cache, which this provides.
PIP_BOOTSTRAP := $(HOME)/.ansible/test/cache/get_pip_24_2.py
$(PIP_BOOTSTRAP): tools/pip_bootstrap.py
	mkdir -p $(dir $@)
	cp tools/pip_bootstrap.py $@

setup: $(VENV)/.done

# ansible-test wants the collection at ansible_collections/coreweave/sandbox: copy it there, fresh each run.
collection:
	rm -rf $(COLLECTION)
	mkdir -p $(COLLECTION)
	for item in $(COLLECTION_CONTENT); do [ -e "$$item" ] && cp -a "$$item" $(COLLECTION)/; done; true
	rm -rf $(COLLECTION)/tests/output $(COLLECTION)/tests/system
	printf "tests/output/\n" > $(COLLECTION)/.gitignore
	cd $(COLLECTION) && git init -q && git add -A

emulator: setup
	@echo "Base URL:         http://127.0.0.1:$(EMULATOR_PORT)/v1beta2/sandbox"
	@echo "Demo admin token: demo-admin-token (read-only: demo-user-token)"
	@echo "Point playbooks at it with:"
	@echo "  export COREWEAVE_API_ENDPOINT=http://127.0.0.1:$(EMULATOR_PORT) COREWEAVE_API_TOKEN=demo-admin-token"
	@echo "Stop it with Ctrl-C."
	$(VENV)/bin/python -m sandbox_emulator --config emulator/demo-config.toml --port $(EMULATOR_PORT) --test-control

# The demo runs with the virtual environment first on PATH and the collection taken from the build copy.
demo: setup collection
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" ANSIBLE_COLLECTIONS_PATH=$(BUILD_ROOT) \
		$(WITH_EMULATOR) --config emulator/demo-config.toml --emulator-arg=--log-level=warning -- bash playbooks/demo.sh

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# ansible-lint (production profile, settings in .ansible-lint) on the roles, playbooks and role test playbooks.
role-lint: setup
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/ansible-lint roles playbooks tests/integration/targets/fleet_role

changelog-lint: setup
	$(VENV)/bin/antsibull-changelog lint

sanity: setup collection $(PIP_BOOTSTRAP)
	cd $(COLLECTION) && PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(CURDIR)/$(VENV)/bin/ansible-test sanity --venv --python 3.11 --color no

units: setup collection
	cd $(COLLECTION) && $(CURDIR)/$(VENV)/bin/ansible-test units --local --python 3.11 --color no

units-latest: $(VENV_LATEST)/.done collection
	cd $(COLLECTION) && $(CURDIR)/$(VENV_LATEST)/bin/ansible-test units --local --python 3.12 --color no

emulator-test: setup
	$(VENV)/bin/pytest -q emulator/tests

integration: setup collection
	$(WITH_EMULATOR) --config emulator/demo-config.toml --integration-config $(COLLECTION) -- \
		bash -c 'cd $(COLLECTION) && $(CURDIR)/$(VENV)/bin/ansible-test integration --local --python 3.11 --color no $(TARGETS)'

integration-latest: $(VENV_LATEST)/.done collection
	$(WITH_EMULATOR) --config emulator/demo-config.toml --integration-config $(COLLECTION) -- \
		bash -c 'cd $(COLLECTION) && $(CURDIR)/$(VENV_LATEST)/bin/ansible-test integration --local --python 3.12 --color no $(TARGETS)'

# Faults, hostile input, secrets, TLS and permissions: ansible-playbook against emulators on free 127.0.0.1 ports.
# Also regenerates the fault table in docs/guarantees-under-faults.md.
SYSTEM_TEST_WORKERS ?= 2
system-test: setup collection
	$(VENV)/bin/pytest -q -p no:cacheprovider -n $(SYSTEM_TEST_WORKERS) --dist loadgroup tests/system $(PYTEST_ARGS)

test: lint role-lint changelog-lint emulator-test sanity units system-test integration units-latest integration-latest

clean:
	rm -rf $(BUILD_ROOT) $(VENV) $(VENV_LATEST)
