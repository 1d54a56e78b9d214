# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from datetime import datetime

import pytest

from ansible_collections.billmgr.ops.plugins.module_utils._logs.errorscan import (
    DEFAULT_PATTERN,
    PatternError,
    boot_epoch,
    compile_pattern,
    dmesg_records,
    grep_unsupported,
    journal_argv,
    journal_errors,
    kernel_errors,
)
from ansible_collections.billmgr.ops.plugins.module_utils._hostside.mgrctl import CommandResult

PATTERN = compile_pattern(DEFAULT_PATTERN)
BOOT = datetime(2026, 11, 23, 10, 0, 0).timestamp()

DMESG = '''[    0.000000] Linux version 6.1.0-26-amd64
[    1.500000] ACPI Error: AE_NOT_FOUND, While resolving a named reference
[ 3600.000000] EXT4-fs (sda1): mounted filesystem with ordered data mode
[ 7200.250000] Out of memory: Killed process 4242 (core)
[ 7300.000000] BUG: unable to handle page fault for address: ffff
  RIP: error code 0000 on a continuation line without its own time
[ 7400.000000] Kernel panic - not syncing: Fatal exception
'''


@pytest.mark.parametrize('line, matches', [
    ('ACPI Error: AE_NOT_FOUND', True),
    ('systemd[1]: ihttpd.service: Failed with result', True),
    ('CRITICAL temperature reached', True),
    ('BUG: soft lockup', True),
    ('Kernel panic - not syncing', True),
    ('SGI XFS with ACLs, no debug enabled', True),    # the runbook's grep says so too
    ('EXT4-fs (sda1): mounted filesystem', False),
    ('Started Session 12 of user root.', False),
])
def test_runbook_pattern(line, matches):
    assert bool(PATTERN.search(line)) is matches


def test_bad_pattern_is_refused():
    with pytest.raises(PatternError) as info:
        compile_pattern('error|(')
    assert 'error_pattern' in str(info.value)


def test_boot_epoch_from_uptime():
    assert boot_epoch(BOOT + 100.5, '100.50 300.00\n') == pytest.approx(BOOT)
    assert boot_epoch(BOOT, '') is None
    assert boot_epoch(BOOT, 'garbage') is None


def test_dmesg_lines_get_wall_clock_times_and_continuations_keep_theirs():
    records = dmesg_records(DMESG, BOOT)
    assert records[1] == (pytest.approx(BOOT + 1.5), '2026-11-23T10:00:01 ACPI Error: AE_NOT_FOUND, While '
                                                     'resolving a named reference')
    assert records[5] == (pytest.approx(BOOT + 7300), '  RIP: error code 0000 on a continuation line without its own time')


def test_kernel_errors_cut_at_since_and_keep_the_last_lines():
    since = BOOT + 3600
    section = kernel_errors(DMESG, PATTERN, since, BOOT, 2, 'since-text')
    # The ACPI error is before the window and the OOM kill does not match: BUG, its continuation, panic.
    assert section['count'] == 3
    assert section['lines'] == ['  RIP: error code 0000 on a continuation line without its own time',
                                '2026-11-23T12:03:20 Kernel panic - not syncing: Fatal exception']
    assert section['available'] is True and section['since_applied'] is True and section['since'] == 'since-text'


def test_kernel_errors_without_boot_time_are_not_cut():
    section = kernel_errors(DMESG, PATTERN, BOOT + 3600, None, 10, 'x')
    assert section['count'] == 4 and section['since_applied'] is False
    assert section['lines'][0].startswith('[    1.500000] ACPI Error')


def test_kernel_lines_without_timestamps_are_all_kept():
    section = kernel_errors('usb 1-1: device descriptor read/64, error -71\nall fine\n', PATTERN, BOOT, BOOT, 10, 'x')
    assert section['count'] == 1 and section['since_applied'] is False


def test_zero_error_lines_still_counts():
    section = kernel_errors(DMESG, PATTERN, None, BOOT, 0, None)
    assert section['count'] == 4 and section['lines'] == []


def _result(rc, stdout='', stderr='', timed_out=False, argv=('journalctl',)):
    return CommandResult(list(argv), rc, stdout, stderr, timed_out=timed_out, timeout=10)


JOURNAL = '''2026-11-23T13:00:01+0000 bm01 systemd[1]: Starting ihttpd.service...
-- Boot 1a2b3c --
2026-11-23T13:00:02+0000 bm01 systemd[1]: ihttpd.service: Failed with result 'exit-code'.
2026-11-23T13:05:00+0000 bm01 kernel: EXT4-fs error (device sda1): bad block
'''


def test_journal_lines_are_filtered_and_markers_dropped():
    section = journal_errors(_result(0, JOURNAL), PATTERN, 1, 'since')
    assert section['count'] == 2
    assert section['lines'] == ['2026-11-23T13:05:00+0000 bm01 kernel: EXT4-fs error (device sda1): bad block']


def test_journal_grep_without_matches_is_a_count_of_zero():
    section = journal_errors(_result(1, '-- No entries --\n'), PATTERN, 10, 'since')
    assert (section['available'], section['count'], section['lines']) == (True, 0, [])


def test_no_journal_files_is_not_available_not_a_failure():
    section = journal_errors(_result(0, '-- No entries --\n', 'No journal files were found.\n'), PATTERN, 10, 's')
    assert section['available'] is False and 'no journal files' in section['reason']
    assert 'error' not in section


def test_hung_journalctl_is_an_error():
    section = journal_errors(_result(-9, timed_out=True), PATTERN, 10, 's')
    assert section['available'] is False and 'killed' in section['error']


def test_failing_journalctl_says_why():
    section = journal_errors(_result(1, '', 'Failed to open journal: Permission denied\n'), PATTERN, 10, 's')
    assert section['available'] is False and 'Permission denied' in section['reason']


@pytest.mark.parametrize('stderr, unsupported', [
    ("journalctl: unrecognized option '--grep'\n", True),
    ('Compiled without pattern matching support\n', True),
    ('Failed to open journal: Permission denied\n', False),
])
def test_grep_unsupported(stderr, unsupported):
    assert grep_unsupported(_result(1, '', stderr)) is unsupported


def test_journal_argv():
    since = datetime(2026, 11, 22, 14, 0, 5)
    assert journal_argv('/usr/bin/journalctl', since, 'error|bug') == [
        '/usr/bin/journalctl', '--no-pager', '--output=short-iso', '--since', '2026-11-22 14:00:05',
        '--grep', 'error|bug', '--case-sensitive=false']
    assert journal_argv('/usr/bin/journalctl', since)[-2:] == ['--since', '2026-11-22 14:00:05']
