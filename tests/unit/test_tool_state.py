# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tools the Makefile runs keep their state in the clone, never in the user's home.

A copy of the collection in ~/.ansible/collections is shared by every clone on the machine and is
preferred over the clone's own .build link, so one clone's lint would check another's code.
"""

from __future__ import annotations

import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def run_with_home(home, args, cwd=ROOT):
    """Run a command in the Makefile's environment, with HOME pointing at an empty directory."""
    env = {'PATH': '/usr/local/bin:/usr/bin:/bin', 'HOME': str(home), 'LANG': 'C.UTF-8'}
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False)


def makefile_environment(home):
    done = run_with_home(home, ['make', '-s', '--no-print-directory', '--eval', 'print-env: ; @env', 'print-env'])
    assert done.returncode == 0, done.stderr
    env = dict(line.split('=', 1) for line in done.stdout.splitlines() if '=' in line)
    return {k: v for k, v in env.items() if not k.startswith(('MAKE', 'MFLAGS'))}


def left_in(home):
    return sorted(str(p.relative_to(home)) for p in home.rglob('*'))


@pytest.mark.parametrize('name', ['ANSIBLE_HOME', 'XDG_CACHE_HOME', 'ANSIBLE_COLLECTIONS_PATH'])
def test_makefile_points_state_into_the_clone(tmp_path, name):
    env = makefile_environment(tmp_path)
    assert pathlib.Path(env[name]).is_relative_to(ROOT / '.build')


def test_ansible_lint_leaves_home_alone(tmp_path):
    done = run_with_home(tmp_path, ['make', '-s', '--no-print-directory', 'lint', 'LINT_ARGS=playbooks/health.yml'])
    assert done.returncode == 0, done.stdout + done.stderr
    assert left_in(tmp_path) == []


def test_molecule_leaves_home_alone(tmp_path):
    env = makefile_environment(tmp_path)
    done = subprocess.run([str(ROOT / '.venv' / 'bin' / 'molecule'), 'syntax', '-s', 'default'],
                          cwd=ROOT / 'extensions', env=env, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert left_in(tmp_path) == []
