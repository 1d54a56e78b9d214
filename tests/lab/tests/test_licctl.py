"""The stand-in licctl, run as a program against a built tree."""

from __future__ import annotations

import os
import re
import stat
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest
from labtest import one_host_scenario

LOG_LINE_RE = re.compile(r'^[A-Z][a-z]{2} [ 123]\d \d\d:\d\d:\d\d \[\d+:\d+\] licctl (INFO|ERROR|WARNING) .+$')


def info(built) -> dict:
    result = built.licctl('info', 'billmgr')
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith('ID: ')
    # `Key: value`, or `JustInstalled <domain>` (a word and its value, no colon after the word).
    return dict(line.split(': ', 1) if ': ' in line else line.split(' ', 1) for line in lines)


def days_from_today(days, since):
    """The date DAYS from today, as either day of a test that may have crossed midnight since SINCE."""
    return {(day + timedelta(days=days)).isoformat() for day in (since, date.today())}


def test_info_of_a_linked_license(build_host):
    built = build_host()
    fields = info(built)
    assert int(fields['ID']) == built.state('license')['id'] > 0
    assert fields['Expire'] == built.state('license')['expire']
    assert fields['Status'] == 'active' and fields['Product'] == 'billmgr'
    assert fields['JustInstalled'] == 'bm01.example.net:1500'


def test_info_when_unlinked_says_id_0(build_host):
    fields = info(build_host(one_host_scenario(faults={'license_unlinked': True})))
    assert fields['ID'] == '0' and 'Expire' not in fields


def test_info_expiring_and_expired_against_the_clock(build_host):
    since = date.today()
    expiring = info(build_host(one_host_scenario(faults={'license_expiring': 5})))
    assert expiring['Expire'] in days_from_today(5, since)
    assert expiring['Status'] == 'active'
    expired = info(build_host(one_host_scenario(name='bm02', faults={'license_expired': True})))
    assert expired['Expire'] in days_from_today(-12, since)
    assert expired['Status'] == 'expired'


def test_expiry_is_judged_by_the_host_clock_not_the_build(build_host):
    built = build_host()
    lic = built.state('license')
    lic['expire'] = (date.today() - timedelta(days=1)).isoformat()
    built.save_state(lic, 'license')
    assert info(built)['Status'] == 'expired'


FAKETIME_LIB = Path('/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1')


@pytest.mark.skipif(not FAKETIME_LIB.exists(), reason='libfaketime is not installed')
def test_expiry_follows_a_faked_clock_as_on_a_skewed_lab_host(build_host):
    built = build_host(one_host_scenario(faults={'license_expiring': 5}))
    env = dict(os.environ, LD_PRELOAD=str(FAKETIME_LIB), FAKETIME='+10d')
    result = subprocess.run([str(built.root / 'sbin' / 'licctl'), 'info', 'billmgr'], capture_output=True,
                            text=True, env=env, timeout=20)
    assert 'Status: expired' in result.stdout.splitlines()
    assert info(built)['Status'] == 'active'


def test_fetch_links_writes_the_license_and_a_got_line_with_the_key(build_host):
    built = build_host(one_host_scenario(faults={'license_unlinked': True}))
    since = date.today()
    result = built.licctl('fetch', 'billmgr', 'KEY-ab12-SECRET')
    assert result.returncode == 0, result.stdout + result.stderr
    fields = info(built)
    assert int(fields['ID']) == built.state('settings')['license_id']
    assert fields['Expire'] in days_from_today(365, since)
    lic_file = built.root / 'etc' / 'billmgr.lic'
    assert stat.S_IMODE(lic_file.stat().st_mode) == 0o600 and 'KEY-ab12-SECRET' not in lic_file.read_text()
    new_lines = built.text('var/licctl.log').splitlines()[-2:]
    assert all(LOG_LINE_RE.match(line) for line in new_lines)
    assert 'key KEY-ab12-SECRET' in new_lines[0]
    assert f"Got license ID {fields['ID']} for billmgr" in new_lines[1]


def test_fetch_refreshes_an_expired_license_keeping_its_id(build_host):
    built = build_host(one_host_scenario(faults={'license_expired': True}))
    before = info(built)
    assert built.licctl('fetch', 'billmgr').returncode == 0
    after = info(built)
    assert after['ID'] == before['ID'] and after['Status'] == 'active'


def test_fetch_failure(build_host):
    built = build_host(one_host_scenario(faults={'license_fetch_fails': True, 'license_unlinked': True}))
    log_before = built.text('var/licctl.log')
    result = built.licctl('fetch', 'billmgr', 'KEY-1')
    assert result.returncode == 1
    assert result.stdout.strip() == 'Failed to get license'
    added = built.text('var/licctl.log')[len(log_before):]
    assert 'key KEY-1' in added and 'Failed to get license' in added and 'Got' not in added
    assert info(built)['ID'] == '0'
    assert not (built.root / 'etc' / 'billmgr.lic').exists()


@pytest.mark.parametrize('args, code', [
    ((), 2), (('info',), 2), (('status', 'billmgr'), 2), (('info', 'billmgr', 'extra'), 2),
    (('fetch', 'billmgr', 'KEY', 'more'), 2), (('info', 'ispmgr'), 1),
])
def test_bad_calls(build_host, args, code):
    result = build_host().licctl(*args)
    assert result.returncode == code
    assert (result.stderr if code == 2 else result.stdout).strip()
