"""The lab lock held from molecule's create to its destroy, by labctl lock / unlock / down.

Each test uses a lock file of its own, so the lab lock of a running test session is never touched.
"""

import fcntl
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

LAB = Path(__file__).resolve().parents[1]
LABCTL = LAB / 'labctl.py'
MOLECULE = LAB.parents[1] / 'extensions' / 'molecule' / 'default'

sys.path.insert(0, str(LAB))

import labctl  # noqa: E402
from billmgr_lab import fleet, lablock  # noqa: E402


def labctl_run(lab_dir, *args, timeout=60):
    return subprocess.run([sys.executable, str(LABCTL), '--lab-dir', str(lab_dir)] + list(args),
                          capture_output=True, text=True, timeout=timeout, check=False)


def is_free(lock_file):
    with open(lock_file, 'a') as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True


@pytest.fixture
def lab_dir(tmp_path):
    directory = tmp_path / 'lab'
    yield directory
    lablock.release(directory)


def test_lock_outlives_the_command_that_took_it_until_unlock(lab_dir, tmp_path):
    lock_file = tmp_path / 'lab.lock'
    taken = labctl_run(lab_dir, 'lock', '--lock-file', str(lock_file))
    assert taken.returncode == 0, taken.stderr
    assert not is_free(lock_file), 'the lock must stay held after labctl lock returned'
    again = labctl_run(lab_dir, 'lock', '--lock-file', str(lock_file))
    assert again.returncode == 0 and again.stdout == taken.stdout, 'a second lock finds the same holder'
    released = labctl_run(lab_dir, 'unlock')
    assert released.returncode == 0 and 'released' in released.stdout
    assert is_free(lock_file)


def test_down_gives_the_lock_up(lab_dir, tmp_path):
    lock_file = tmp_path / 'lab.lock'
    assert labctl_run(lab_dir, 'lock', '--lock-file', str(lock_file)).returncode == 0
    down = labctl_run(lab_dir, 'down')
    assert down.returncode == 0 and 'lock released' in down.stdout, down.stdout + down.stderr
    assert is_free(lock_file)


def test_lock_waits_for_a_test_session_and_says_so_when_it_gives_up(lab_dir, tmp_path):
    lock_file = tmp_path / 'lab.lock'
    with open(lock_file, 'a') as session:
        fcntl.flock(session, fcntl.LOCK_EX)
        refused = labctl_run(lab_dir, 'lock', '--lock-file', str(lock_file), '--wait-seconds', '1')
    assert refused.returncode == 2 and 'its time was up (1 s allowed)' in refused.stderr, refused.stderr
    assert lablock.holder_pid(lab_dir) is None


def test_a_forgotten_lock_gives_itself_up(lab_dir, tmp_path):
    lock_file = tmp_path / 'lab.lock'
    assert labctl_run(lab_dir, 'lock', '--lock-file', str(lock_file), '--max-seconds', '0.2').returncode == 0
    with open(lock_file, 'a') as handle:
        # Blocks until the holder has given the lock up by itself.
        fcntl.flock(handle, fcntl.LOCK_EX)
    assert lablock.holder_pid(lab_dir) is None


def test_up_under_our_own_lock_does_not_refuse_as_if_a_test_session_held_it(lab_dir, tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(fleet.Fleet, 'up', lambda self, **kwargs: calls.append(kwargs) or
                        {'hosts': {'bm01': {'address': '127.0.0.21'}}, 'light': False})
    assert labctl_run(lab_dir, 'lock', '--lock-file', str(tmp_path / 'lab.lock')).returncode == 0
    (lab_dir / 'inventory.yml').write_text('')
    assert labctl.main(['--lab-dir', str(lab_dir), 'up', '--scenario', 'unused.yml']) == 0
    assert calls[0]['lock_held'] is True


def lab_commands(playbook):
    """The labctl subcommands a molecule playbook runs, in order."""
    tasks = yaml.safe_load((MOLECULE / playbook).read_text())[0]['tasks']
    argvs = [task['ansible.builtin.command']['argv'] for task in tasks if 'ansible.builtin.command' in task]
    return [argv[argv.index('--lab-dir') + 2] for argv in argvs]


@pytest.mark.parametrize('playbook, then', [('create.yml', 'up'), ('destroy.yml', 'down')])
def test_molecule_takes_the_lock_before_it_touches_the_fleet(playbook, then):
    commands = lab_commands(playbook)
    assert commands[:2] == ['lock', then]
    assert 'unlock' not in commands, 'the lock is held from create to destroy; down gives it up'
