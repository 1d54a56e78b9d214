"""playbooks/restart.yml: a rolling restart that stops at the first host that does not come back.

tests/lab/scenarios/restart.yml: bm02 never answers after `mgrctl -R` (fault restart_fails), bm05 is
in maintenance. Restarts are counted by the stand-in's `mgrctl -R` in lab/platform.json.
"""

import json

import pytest

from conftest import REPO, recap

SCENARIO = REPO / 'tests' / 'lab' / 'scenarios' / 'restart.yml'
RESTART = REPO / 'playbooks' / 'restart.yml'
HOSTS = ['bm01', 'bm02', 'bm03', 'bm04', 'bm05']


@pytest.fixture(scope='module')
def lab(lab_manager):
    return lab_manager.get(SCENARIO, fresh=True)


def restarts(lab):
    counts = {}
    for host in HOSTS:
        state = json.loads(lab.host_path(host, 'lab/platform.json').read_text())
        counts[host] = len(state.get('restarts') or [])
    return counts


def roll(lab, limit, extra=None, **kwargs):
    before = restarts(lab)
    proc = lab.playbook(RESTART, limit=limit, extra_vars=extra, **kwargs)
    after = restarts(lab)
    return proc, {host: after[host] - before[host] for host in HOSTS}


def test_check_mode_restarts_nothing(lab):
    proc, done = roll(lab, 'bm01:bm03:bm04:bm05', check=True)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert set(done.values()) == {0}, done


def test_the_roll_stops_at_the_first_host_that_does_not_come_back(lab):
    proc, done = roll(lab, 'bm01:bm02:bm03:bm04',
                      extra={'billmgr_restart_serial': 1, 'billmgr_restart_timeout': 6})
    assert proc.returncode != 0
    assert done == {'bm01': 1, 'bm02': 1, 'bm03': 0, 'bm04': 0, 'bm05': 0}, done
    assert 'The roll stops at bm02' in proc.stdout
    # The hosts the roll never reached are named, since the recap cannot show them.
    assert 'Not restarted (later batches): bm03, bm04.' in proc.stdout, proc.stdout[-3000:]
    counts = recap(proc.stdout)
    assert counts['bm02']['failed'] == 1
    assert 'bm03' not in counts and 'bm04' not in counts, counts


def test_one_failed_host_in_a_larger_batch_stops_the_roll_too(lab):
    # Ansible stops a roll by itself only when a whole batch fails; max_fail_percentage 0 makes one
    # failed host of two enough.
    proc, done = roll(lab, 'bm01:bm02:bm03:bm04',
                      extra={'billmgr_restart_serial': 2, 'billmgr_restart_timeout': 6})
    assert proc.returncode != 0
    assert done == {'bm01': 1, 'bm02': 1, 'bm03': 0, 'bm04': 0, 'bm05': 0}, done


def test_a_host_in_maintenance_is_skipped_with_a_message_and_the_roll_goes_on(lab):
    # Four hosts at the default 25 %: one batch, and one PLAY banner, per host.
    proc, done = roll(lab, 'bm01:bm03:bm04:bm05')
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert done == {'bm01': 1, 'bm02': 0, 'bm03': 1, 'bm04': 1, 'bm05': 0}, done
    assert 'Skipped bm05: /usr/local/mgr5/etc/billmgr.DoNothing exists' in proc.stdout
    assert proc.stdout.count('PLAY [Restart the BILLmanager fleet a batch at a time]') == 4
    assert recap(proc.stdout)['bm05']['failed'] == 0
