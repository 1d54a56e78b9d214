# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The raw probe of a host's Python: the shell command it runs and the finding read from it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ansible_collections.billmgr.ops.plugins.plugin_utils._findings import (
    python_findings, python_probe_command, python_probe_read)

LAB_PYTHON36 = Path(__file__).resolve().parents[3] / 'lab' / 'stand_ins' / 'python36.sh'


def probe(candidates):
    """The probe's output, run as ansible.builtin.raw runs it: by a POSIX shell."""
    proc = subprocess.run(['/bin/sh', '-c', python_probe_command(candidates)], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_a_current_python_is_found_and_gives_no_finding(tmp_path):
    output = probe([str(tmp_path / 'absent'), sys.executable])
    interpreter, version, state = python_probe_read(output)
    assert state == 'ok' and version[:2] == sys.version_info[:2]
    assert python_findings(output, host='bm01') == []


def test_the_first_candidate_that_exists_is_the_one_judged(tmp_path):
    old = tmp_path / 'python3'
    old.write_text(LAB_PYTHON36.read_text())
    old.chmod(0o755)
    # Discovery takes the first one found, even when a newer one comes later in the list.
    output = probe([str(old), sys.executable])
    assert python_probe_read(output) == ('/usr/libexec/platform-python', (3, 6, 8), 'old')
    [found] = python_findings(output, host='bm01', message='MODULE FAILURE')
    assert found['id'] == 'python_unsupported' and found['severity'] == 'critical'
    assert '3.6.8' in found['summary'] and '3.8' in found['summary']
    assert 'dnf install python39' in found['fix'] and 'ansible_python_interpreter=/usr/bin/python3.9' in found['fix']
    assert 'host_vars/bm01.yml' in found['fix']
    assert found['evidence']['module_message'] == 'MODULE FAILURE'


def test_no_python_at_all_is_named(tmp_path):
    output = probe([str(tmp_path / 'python3.9'), str(tmp_path / 'python3')])
    assert python_probe_read(output) == (None, None, 'none')
    [found] = python_findings(output, candidates=[str(tmp_path / 'python3')])
    assert found['summary'].startswith('No Python found') and found['evidence']['state'] == 'none'


def test_an_interpreter_that_does_not_run_python_is_unknown(tmp_path):
    output = probe(['/bin/false'])
    assert python_probe_read(output) == ('/bin/false', None, 'unknown')
    [found] = python_findings(output)
    assert '/bin/false does not run as Python' in found['summary']


def test_candidates_with_quotes_and_spaces_stay_one_word(tmp_path):
    odd = tmp_path / "it's here"
    odd.mkdir()
    output = probe([str(odd / 'python3'), sys.executable])
    assert python_probe_read(output)[2] == 'ok'


@pytest.mark.parametrize('output', ['', 'Last login: today\n', 'BILLMGR_PYTHON too few\n', None])
def test_output_the_probe_does_not_print_is_no_finding(output):
    # Then the module's own failure is reported as it is, not guessed to be Python's.
    assert python_probe_read(output)[2] == 'unread'
    assert python_findings(output) == []


def test_a_banner_before_the_probe_line_is_skipped():
    output = 'Welcome to EL 8\nBILLMGR_PYTHON python3 /usr/bin/python3 3.6.8\r\n'
    assert python_probe_read(output) == ('/usr/bin/python3', (3, 6, 8), 'old')
