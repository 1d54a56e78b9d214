# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""billmgr_facts (the sweep's gatherer) attacked: names, windows, numbers, special files behind
debug.conf, licctl.log and the logs, and secrets in the log samples the sweep reports."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from hostile_harness import BAD_NAMES, BAD_TIMEOUTS, BAD_TIMES, attack, make_special

from ansible_collections.billmgr.ops.plugins.modules import billmgr_facts

SECRET = 'Pm-S3cr3t-77'


def _args(root, **extra):
    return dict({'mgr_root': str(root), 'gather': ['debug']}, **extra)


@pytest.mark.parametrize('value', BAD_NAMES)
def test_a_log_name_that_is_not_one_is_refused(fake_root, value):
    attack(billmgr_facts, _args(fake_root, logs=[value], gather=['log_errors']), fake_root, refused='logs')


@pytest.mark.parametrize('value', BAD_TIMES)
def test_a_since_that_is_not_a_time_is_refused(fake_root, value):
    attack(billmgr_facts, _args(fake_root, since=value), fake_root, refused='since')


@pytest.mark.parametrize('option', ['mgrctl_timeout', 'tool_timeout'])
@pytest.mark.parametrize('value', BAD_TIMEOUTS)
def test_a_timeout_that_is_not_a_sane_number_is_refused(fake_root, option, value):
    attack(billmgr_facts, _args(fake_root, **{option: value}), fake_root, refused=option)


@pytest.mark.parametrize('option, value', [('error_lines', -1), ('error_lines', 10 ** 18),
                                           ('debug_threshold', -1), ('debug_threshold', 10),
                                           ('stuck_payment_hours', 0), ('stuck_payment_hours', 10 ** 18)])
def test_a_count_out_of_range_is_refused(fake_root, option, value):
    attack(billmgr_facts, _args(fake_root, **{option: value}), fake_root, refused=option)


@pytest.mark.parametrize('value', ['inf', 'nan', '1e300', '9999-12-31T23:59:59', '0001-01-01', 'x\n'])
def test_a_reference_time_that_is_not_one_is_refused(fake_root, value):
    attack(billmgr_facts, _args(fake_root, reference_time=value), fake_root, refused='reference_time')


@pytest.mark.parametrize('kind', ['fifo', '/dev/zero', 'nowhere'])
def test_debug_conf_that_is_not_a_regular_file_is_reported_not_read(fake_root, kind):
    make_special(fake_root / 'etc' / 'debug.conf', kind)

    def handled(result):
        debug = result['billmgr_facts']['debug']
        assert debug['entries'] == []
        if kind != 'nowhere':
            assert 'not a regular file' in debug['error']

    attack(billmgr_facts, _args(fake_root), fake_root, handled=handled)


@pytest.mark.parametrize('kind', ['fifo', '/dev/zero'])
def test_a_log_that_is_not_a_regular_file_costs_only_its_section(fake_root, kind):
    make_special(fake_root / 'var' / 'billmgr.log', kind)

    def handled(result):
        facts = result['billmgr_facts']
        assert 'debug' in facts
        assert 'not a regular file' in str(facts['log_errors'])

    attack(billmgr_facts, _args(fake_root, gather=['debug', 'log_errors']), fake_root, handled=handled)


def test_secrets_in_the_sweep_samples_are_masked(fake_root):
    moment = datetime.now() - timedelta(minutes=5)
    stamp = '%s %2d %s' % (moment.strftime('%b'), moment.day, moment.strftime('%H:%M:%S'))
    (fake_root / 'var' / 'billmgr.log').write_text(
        "%s [100:7] rpc EXTINFO Query('func=paymethod.edit&passwd=%s&sok=ok')\n"
        "%s [100:7] libmgr ERROR Error: Type: 'value' Object: 'secret_key=%s' Value: 'x'\n"
        % (stamp, SECRET, stamp, SECRET))

    def handled(result):
        section = result['billmgr_facts']['log_errors']
        assert section['total'] == 1, section

    attack(billmgr_facts, _args(fake_root, gather=['log_errors']), fake_root, handled=handled, secrets=(SECRET,))
