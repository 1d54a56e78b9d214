# billmgr.ops: every entry point a person or CI needs. `make demo` and `make test` install what they
# use on their own: Debian packages with apt-get, Python packages into .venv.
SHELL        := /bin/bash
.SHELLFLAGS  := -eu -o pipefail -c
PYTHON       ?= python3
VENV         := .venv
VPY          := $(VENV)/bin/python
BUILD        := .build
COLL_LINK    := $(BUILD)/ansible_collections/billmgr/ops
HOSTS        ?= 3
SCENARIO     ?= tests/lab/scenarios/default.yml
LIGHT        ?= auto
DEB_PACKAGES := openssh-server openssh-client mariadb-server mariadb-client libfaketime cron \
                iproute2 procps util-linux python3 git chromium shellcheck ripgrep
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/$(BUILD)
# Every tool keeps its state in this clone, never in the shared home directory: ansible-core's
# tmp/cp/galaxy_cache and molecule's scenarios under ANSIBLE_HOME, ansible-lint's schema cache
# under XDG_CACHE_HOME. Parallel clones then never see each other's copy of the collection.
export ANSIBLE_HOME := $(CURDIR)/$(BUILD)/ansible
export XDG_CACHE_HOME := $(CURDIR)/$(BUILD)/cache
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export PYTHONPATH := $(CURDIR)/$(BUILD):$(CURDIR)/tests/lab:$(CURDIR)/tests/support
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: help deps venv collection demo test lint sanity units database lab-tests integration molecule \
        lab-up lab-down lab-status clean bench dist importer ee-context

help:
	@echo "make demo      lab fleet of 5 BILLmanager stand-ins, swept by the health and reselling playbooks"
	@echo "make test      every gate: ansible-lint, ansible-test sanity, galaxy-importer, unit, database, lab, integration, molecule"
	@echo "make ee-context   the execution environment's build context in $(EE_CONTEXT) (then ansible-builder build)"
	@echo "make lab-up HOSTS=N SCENARIO=file [LIGHT=yes|no|auto]   make lab-down   make lab-status"

# ---------------------------------------------------------------- installs
deps: $(BUILD)/.deps
$(BUILD)/.deps: Makefile
	@mkdir -p $(BUILD)
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null \
	    | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	    echo "deps: apt-get install $$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi
	@touch $@

venv: $(VENV)/.stamp
$(VENV)/.stamp: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install -q --upgrade pip
	$(VPY) -m pip install -q -r requirements.txt
	@touch $@

# The collection must sit at ansible_collections/billmgr/ops for Ansible and for pytest imports.
collection: $(COLL_LINK)
$(COLL_LINK):
	@mkdir -p $(dir $@)
	@ln -sfn $(CURDIR) $@

# The artifact as Galaxy would get it: `ansible-galaxy collection build` (galaxy.yml's build_ignore).
DIST         := $(BUILD)/dist
dist: venv
	@rm -rf $(DIST) && mkdir -p $(DIST)
	$(VENV)/bin/ansible-galaxy collection build --force --output-path $(DIST) . >/dev/null
	@ls $(DIST)/billmgr-ops-*.tar.gz

# galaxy-importer pins older libraries than .venv's tools run with (attrs), so it has a venv of its own.
IMPORTER_VENV := $(BUILD)/importer-venv
$(IMPORTER_VENV)/.stamp: requirements-importer.txt
	$(PYTHON) -m venv $(IMPORTER_VENV)
	$(IMPORTER_VENV)/bin/python -m pip install -q --upgrade pip
	$(IMPORTER_VENV)/bin/python -m pip install -q -r requirements-importer.txt
	@touch $@

# What Galaxy runs on an upload, on the built tarball; any error fails the gate.
importer: dist $(IMPORTER_VENV)/.stamp
	./tests/importer/run.sh $(IMPORTER_VENV) $(DIST)

# The execution environment's build context: the definition in extensions/ee with the tarball
# beside it. `ansible-builder build` (podman or docker) then makes the image from it.
EE_CONTEXT   := $(BUILD)/ee
ee-context: dist
	@rm -rf $(EE_CONTEXT) && mkdir -p $(EE_CONTEXT)
	cp extensions/ee/execution-environment.yml extensions/ee/requirements.yml $(EE_CONTEXT)/
	cp $(DIST)/billmgr-ops-*.tar.gz $(EE_CONTEXT)/billmgr-ops.tar.gz
	$(VENV)/bin/ansible-builder create -f $(EE_CONTEXT)/execution-environment.yml -c $(EE_CONTEXT)/context

# ---------------------------------------------------------------- lab
lab-up: deps venv collection
	$(VPY) tests/lab/labctl.py up --hosts $(HOSTS) --scenario $(SCENARIO) --light $(LIGHT)

lab-down:
	@if [ -x $(VPY) ]; then $(VPY) tests/lab/labctl.py down; else echo "lab: nothing was running"; fi

lab-status: venv
	$(VPY) tests/lab/labctl.py status

# ---------------------------------------------------------------- the demo
demo: deps venv collection
	./tests/demo.sh

# ---------------------------------------------------------------- gates
test: deps venv collection lint sanity importer units database lab-tests integration molecule
	@echo "make test: every gate passed"

# LINT_ARGS narrows the run to some files (the tool-state test lints one playbook).
lint: venv collection
	$(VENV)/bin/ansible-lint $(LINT_ARGS)

sanity: venv
	./tests/sanity/run.sh

units: venv collection
	$(VPY) -m pytest -q tests/unit

# Tests with a MariaDB server of their own (mariadb-server from deps), no lab fleet.
database: deps venv collection
	$(VPY) -m pytest -q tests/database

lab-tests: deps venv collection
	$(VPY) -m pytest -q tests/lab/tests

integration: deps venv collection
	$(VPY) -m pytest -q tests/integration </dev/null

molecule: deps venv collection
	cd extensions && ../$(VENV)/bin/molecule test -s default </dev/null

# ---------------------------------------------------------------- benchmarks (not a gate: timings)
bench: deps venv collection
	$(VPY) bench/run.py

clean: lab-down
	rm -rf $(BUILD) .pytest_cache
