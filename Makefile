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
export PYTHONPATH := $(CURDIR)/$(BUILD):$(CURDIR)/tests/lab
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: help deps venv collection demo test lint sanity units lab-tests integration molecule \
        lab-up lab-down lab-status clean bench

help:
	@echo "make demo      lab fleet of 5 BILLmanager stand-ins, swept by the health and reselling playbooks"
	@echo "make test      every gate: ansible-lint, ansible-test sanity, unit, lab, integration, molecule"
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
test: deps venv collection lint sanity units lab-tests integration molecule
	@echo "make test: every gate passed"

# LINT_ARGS narrows the run to some files (the tool-state test lints one playbook).
lint: venv collection
	$(VENV)/bin/ansible-lint $(LINT_ARGS)

sanity: venv
	./tests/sanity/run.sh

units: venv collection
	$(VPY) -m pytest -q tests/unit

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
