# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import os
from datetime import datetime, timezone

import pytest
from facts_fake_host import Host

from ansible_collections.billmgr.ops.plugins.module_utils._hostfacts import hostfacts
from ansible_collections.billmgr.ops.plugins.module_utils._hostfacts.hostfacts import (
    SECTIONS,
    clock_section,
    find_tool,
    gather,
    journal_errors_section,
    kernel_errors_section,
    os_section,
)

NOW = datetime(2026, 11, 23, 14, 0, 0).timestamp()
SINCE = datetime(2026, 11, 22, 14, 0, 0)


@pytest.fixture
def host(tmp_path):
    return Host(tmp_path)


def _request(host, **kwargs):
    kwargs.setdefault('now', NOW)
    kwargs.setdefault('since_local', SINCE)
    request = host.request(**kwargs)
    request.paths['uptime'] = str(host.base / 'uptime')
    (host.base / 'uptime').write_text('7200.00 100.00\n')   # booted at 12:00
    return request


# ---- tools ---------------------------------------------------------------------------------------

def test_find_tool_searches_path_then_the_sbin_directories(tmp_path, monkeypatch):
    bin_dir, sbin_dir = tmp_path / 'bin', tmp_path / 'sbin'
    for directory in (bin_dir, sbin_dir):
        directory.mkdir()
    for path in (bin_dir / 'dmesg', sbin_dir / 'dmesg', sbin_dir / 'only-sbin'):
        path.write_text('#!/bin/sh\n')
        path.chmod(0o755)
    monkeypatch.setenv('PATH', str(bin_dir))
    monkeypatch.setattr(hostfacts, 'TOOL_DIRS', (str(sbin_dir),))
    assert find_tool('dmesg') == str(bin_dir / 'dmesg')
    assert find_tool('only-sbin') == str(sbin_dir / 'only-sbin')
    assert find_tool('no-such-tool') is None


# ---- os and clock --------------------------------------------------------------------------------

def test_os_section_without_a_release_file(host):
    request = _request(host, supported_os=['almalinux 9'])
    request.paths['os_release'] = (str(host.base / 'none'),)
    request.paths['legacy_release'] = ()
    section = os_section(request)
    assert section['supported'] is None and section['id'] is None
    assert str(host.base / 'none') in section['error']


def test_os_section_checks_the_supported_list(host):
    (host.base / 'os-release').write_text('ID="centos"\nVERSION_ID="7"\nPRETTY_NAME="CentOS Linux 7 (Core)"\n')
    request = _request(host, supported_os=['almalinux 9'])
    request.paths['os_release'] = (str(host.base / 'os-release'),)
    assert os_section(request)['supported'] is False
    request.supported_os = ['centos 7']
    assert os_section(request)['supported'] is True


def test_clock_with_ntp_answer_and_skew(host):
    host.install('tools/timedatectl')
    host.answer('timedatectl', 'yes\n')
    section = clock_section(_request(host, reference_epoch=NOW - 5400))
    assert section['skew_seconds'] == pytest.approx(5400)
    assert section['ntp_synchronized'] is True and section['ntp_reason'] is None
    assert host.calls('timedatectl') == [['show', '-p', 'NTPSynchronized', '--value']]


def test_clock_without_timedatectl(host):
    section = clock_section(_request(host))
    assert section['ntp_synchronized'] is None and 'timedatectl not found' in section['ntp_reason']
    assert 'error' not in section


def test_hung_timedatectl_is_an_error_of_the_clock_section(host):
    host.install('tools/timedatectl')
    host.answer('timedatectl', 'yes\n', hang=True)
    section = clock_section(_request(host, tool_timeout=0.5))
    assert section['ntp_synchronized'] is None and '0.5 seconds' in section['error']
    assert section['utc'] == datetime.fromtimestamp(NOW, timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


# ---- kernel and journal --------------------------------------------------------------------------

DMESG = '''[ 3600.000000] ACPI Error: before the window
[ 7000.000000] EXT4-fs error (device sda1): inside the window
[ 7100.000000] all is well
'''


def test_kernel_errors_from_dmesg(host):
    host.install('tools/dmesg')
    host.answer('dmesg', DMESG)
    section = kernel_errors_section(_request(host))
    # Booted at 12:00 by /proc/uptime, so both errors are inside the last day.
    assert section['count'] == 2 and section['since'] == '2026-11-22T14:00:00'
    request = _request(host, since_local=datetime(2026, 11, 23, 13, 30))
    section = kernel_errors_section(request)
    assert section['count'] == 1
    assert section['lines'] == ['2026-11-23T13:56:40 EXT4-fs error (device sda1): inside the window']


def test_absent_dmesg_is_reported_absent(host):
    section = kernel_errors_section(_request(host))
    assert section['available'] is False and section['reason'] == 'dmesg not found' and 'error' not in section


def test_refused_dmesg_says_why(host):
    host.install('tools/dmesg')
    host.answer('dmesg', '', rc=1, err='dmesg: read kernel buffer failed: Operation not permitted\n')
    section = kernel_errors_section(_request(host))
    assert section['available'] is False and 'Operation not permitted' in section['reason']


def test_journal_with_grep(host):
    host.install('tools/journalctl')
    host.answer('journalctl', '2026-11-23T13:00:02+0000 bm01 systemd[1]: x.service: Failed with result\n')
    section = journal_errors_section(_request(host, error_lines=5))
    assert section['count'] == 1
    assert host.calls('journalctl') == [['--no-pager', '--output=short-iso', '--since', '2026-11-22 14:00:00',
                                         '--grep', 'error|failed|critical|bug|panic', '--case-sensitive=false']]


def test_journal_without_grep_support_is_filtered_here(host):
    host.install('tools/journalctl')
    # This journalctl refuses --grep, as one built without PCRE2 does.
    script = host.base / 'tools' / 'journalctl'
    script.write_text(script.read_text().replace(
        "sys.stdout.write(read('.out'))",
        "if '--grep' in sys.argv:\n    sys.stderr.write('Compiled without pattern matching support\\n'); sys.exit(1)\n"
        "sys.stdout.write(read('.out'))"))
    host.answer('journalctl', 'a: Started thing\nb: thing failed\nc: ERROR again\n')
    section = journal_errors_section(_request(host))
    assert [call[-1] for call in host.calls('journalctl')] == ['--case-sensitive=false', '2026-11-22 14:00:00']
    assert section['count'] == 2 and section['lines'] == ['b: thing failed', 'c: ERROR again']


def test_absent_journalctl_is_reported_absent(host):
    section = journal_errors_section(_request(host))
    assert section['available'] is False and 'journalctl not found' in section['reason']


# ---- gathering -----------------------------------------------------------------------------------

def test_gather_only_what_is_asked_in_canonical_order(host):
    host.install_healthy_platform()
    facts = gather(_request(host), ['debug', 'platform', 'memory'])
    assert list(facts) == ['memory', 'platform', 'debug']
    assert facts['platform']['answers'] is True
    assert host.calls('timedatectl') == []


def test_a_broken_section_does_not_cost_the_others(host, monkeypatch):
    def explode(_request):
        raise RuntimeError('boom')
    monkeypatch.setitem(hostfacts.GATHERERS, 'memory', explode)
    monkeypatch.setitem(hostfacts.GATHERERS, 'disk', explode)
    facts = gather(_request(host), SECTIONS)
    assert facts['memory'] == {'error': 'gathering memory failed: RuntimeError: boom'}
    assert facts['disk'][0]['serves'] == ['/', str(host.root), os.path.join(str(host.root), 'var')]
    assert 'boom' in facts['disk'][0]['error']
    assert set(facts) == set(SECTIONS)
    assert facts['os']['id'] is not None and facts['platform']['installed'] is False


def test_disk_section_serves_the_three_paths(host):
    facts = gather(_request(host), ['disk'])
    served = [path for entry in facts['disk'] for path in entry['serves']]
    assert served == ['/', str(host.root), os.path.join(str(host.root), 'var')]
    assert all(entry['size_bytes'] > 0 for entry in facts['disk'])
