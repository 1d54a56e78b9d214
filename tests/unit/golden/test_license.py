# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runbook 000's license commands, and licctl outputs in the forms we know, parsed to facts."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path
from datetime import date
from types import SimpleNamespace

from ansible_collections.billmgr.ops.plugins.module_utils._platform.licctl import got_lines, info_argv
from ansible_collections.billmgr.ops.plugins.module_utils._platform.license import license_facts
from ansible_collections.billmgr.ops.plugins.module_utils._hostside.mgrctl import CommandResult
from ansible_collections.billmgr.ops.plugins.module_utils._hostside.paths import MgrLayout
from ansible_collections.billmgr.ops.plugins.modules import licctl as licctl_module
from ansible_collections.billmgr.ops.plugins.plugin_utils._findings import host_context, host_findings

GOLDEN = Path(__file__).resolve().parents[2] / 'golden'
TODAY = date(2027, 1, 30)


def test_the_info_sample_is_the_command_every_module_runs(golden):
    assert info_argv(MgrLayout().licctl, 'billmgr') == shlex.split(golden('runbook000/licctl_info_command.txt'))


def fetch_argv(key):
    """What the licctl module runs to fetch, caught before it runs."""
    seen = []
    module = SimpleNamespace(params={'timeout': 5}, run_command=None)
    task = licctl_module.LicenseTask(module, MgrLayout(), key)
    task.run = lambda argv: seen.append(argv) or CommandResult(argv, 0, '', '')
    task.fetch({})
    return seen[0]


def test_the_fetch_samples_are_what_the_licctl_module_runs(golden):
    assert fetch_argv('') == shlex.split(golden('runbook000/licctl_fetch_command.txt'))
    assert fetch_argv('KEY') == shlex.split(golden('runbook000/licctl_fetch_key_command.txt'))


def test_the_fetch_error_is_the_text_the_licctl_module_looks_for(golden):
    assert golden('runbook000/licctl_fetch_failed.txt').strip() == licctl_module.FAILED_TEXT


def test_got_lines_are_what_the_runbooks_grep_finds(golden):
    argv = shlex.split(golden('runbook000/licctl_log_got_command.txt'))
    assert argv[:2] == ['cat', MgrLayout().licctl_log] and argv[2:] == ['|', 'grep', 'Got']
    log = GOLDEN / 'formats' / 'licctl_log_got.log'
    grep = subprocess.run(['grep', 'Got', str(log)], capture_output=True, text=True, check=True).stdout.splitlines()
    assert got_lines(str(log)) == (len(grep), grep)


def facts(golden, name, log='licctl_log_got.log'):
    found, _secrets = license_facts(golden('formats/' + name), str(GOLDEN / 'formats' / log), today=TODAY)
    return found


def test_unlinked_is_id_0_and_justinstalled_is_kept(golden):
    found = facts(golden, 'licctl_info_unlinked.txt', log='absent.log')
    assert (found['id'], found['linked'], found['activated_before']) == (0, False, None)
    assert found['fields'] == {'JustInstalled': 'billing.example.com'}
    assert [f['id'] for f in host_findings({'license': found})] == ['license_unlinked']


def test_linked_with_expiry_and_a_license_got_here_before(golden):
    found = facts(golden, 'licctl_info_linked.txt')
    assert (found['id'], found['linked'], found['expires'], found['days_left']) == (318205, True, '2027-03-01', 30)
    assert found['fields']['JustInstalled'] == 'billing.example.com:1500'
    assert found['activated_before'] is True and len(found['got_lines']) == 1
    assert host_findings({'license': found}) == []
    (trial,) = host_context({'license': found})
    assert trial['id'] == 'trial_unavailable' and 'can no longer be activated here' in trial['summary']


def test_an_expiry_that_does_not_parse_is_told_with_its_text_and_unknown_lines_kept(golden):
    found = facts(golden, 'licctl_info_expiry_unknown.txt', log='absent.log')
    assert found['linked'] is True and found['expires'] is None and found['expires_text'] == 'until further notice'
    assert 'License server said something new' in found['lines']
    (unknown,) = host_findings({'license': found})
    assert unknown['id'] == 'license_expiry_unknown' and unknown['severity'] == 'info'
    assert 'until further notice' in unknown['summary']
