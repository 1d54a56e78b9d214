# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lock writers of debug.conf take turns by, and debug_level taking it around its change.

Other holders are real processes (a lock held by this very process would not show whether two
processes exclude each other); they say on stdout when they hold the lock, so no test guesses
with a sleep when something has happened.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
import threading

import pytest

from ansible_collections.billmgr.ops.plugins.module_utils._hostside.filelock import (
    FileLockError,
    held_lock,
    lock_path_for,
)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))

# A process that takes the lock, says so, and holds it until its stdin closes. With SLOW_WRITE it
# is a careless writer instead: it reads the file under the lock, waits, and writes back what it
# read plus one line, which loses any change made by someone who did not wait for the lock.
HOLDER = textwrap.dedent('''
    import sys
    from ansible_collections.billmgr.ops.plugins.module_utils._hostside.filelock import held_lock
    lock, owner, data_file = sys.argv[1], sys.argv[2], sys.argv[3]
    with held_lock(lock, owner=owner, timeout=10):
        before = open(data_file, 'rb').read() if data_file != '-' else b''
        sys.stdout.write('held\\n')
        sys.stdout.flush()
        sys.stdin.read()
        if data_file != '-':
            with open(data_file, 'wb') as handle:
                handle.write(before + b'# written by the slow writer\\n')
''')


class Holder:
    """Another process holding the lock until ``release()`` (or until it is killed)."""

    def __init__(self, lock, owner='the test holder', data_file='-'):
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.path.join(REPO, '.build'), os.environ.get('PYTHONPATH', '')]))
        self.proc = subprocess.Popen([sys.executable, '-c', HOLDER, str(lock), owner, str(data_file)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        line = self.proc.stdout.readline()
        assert line == 'held\n', 'the holder did not get the lock: %r' % line

    def release(self):
        self.proc.stdin.close()
        assert self.proc.wait(timeout=30) == 0

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        self.proc.stdin.close()


@pytest.fixture
def lock(tmp_path):
    return tmp_path / '.debug.conf.lock'


def test_lock_file_sits_next_to_the_file_it_guards(tmp_path):
    assert lock_path_for(str(tmp_path / 'etc' / 'debug.conf')) == str(tmp_path / 'etc' / '.debug.conf.lock')


def test_every_spelling_of_the_path_locks_the_same_file(tmp_path):
    (tmp_path / 'real').mkdir()
    (tmp_path / 'real' / 'debug.conf').write_text('* 6\n')
    os.symlink(str(tmp_path / 'real'), str(tmp_path / 'link'))
    assert lock_path_for(str(tmp_path / 'link' / 'debug.conf')) == str(tmp_path / 'real' / '.debug.conf.lock')


def test_lock_file_is_root_only_and_names_its_holder(lock):
    with held_lock(str(lock), owner='billmgr.ops.debug_level'):
        assert stat.S_IMODE(lock.stat().st_mode) == 0o600
        text = lock.read_text()
    assert 'pid %d' % os.getpid() in text and 'billmgr.ops.debug_level' in text


def test_a_lock_held_elsewhere_makes_the_second_writer_give_up_naming_the_holder(lock):
    holder = Holder(lock, owner='debug.yml run of the test')
    try:
        with pytest.raises(FileLockError) as failure:
            with held_lock(str(lock), timeout=0.3):
                pytest.fail('took a lock another process holds')
    finally:
        holder.release()
    assert str(lock) in str(failure.value)
    assert 'debug.yml run of the test' in str(failure.value)
    assert 'pid %d' % holder.proc.pid in str(failure.value)


def test_the_second_writer_waits_and_goes_on_once_the_lock_is_released(lock):
    holder = Holder(lock)
    taken = threading.Event()

    def second():
        with held_lock(str(lock), timeout=30):
            taken.set()

    waiter = threading.Thread(target=second)
    waiter.start()
    try:
        # While the holder lives the waiter must not get in; once it lets go the waiter must.
        assert not taken.wait(0.5)
    finally:
        holder.release()
    waiter.join(timeout=30)
    assert taken.is_set()


def test_a_killed_holder_leaves_the_lock_free(lock):
    holder = Holder(lock)
    holder.kill()
    with held_lock(str(lock), timeout=5):
        pass


def test_lock_is_released_when_the_block_ends_even_by_an_exception(lock):
    with pytest.raises(RuntimeError):
        with held_lock(str(lock)):
            raise RuntimeError('boom')
    holder = Holder(lock)
    holder.release()


def test_a_lock_file_that_cannot_be_created_is_explained(tmp_path):
    missing = tmp_path / 'no-such-dir' / '.debug.conf.lock'
    with pytest.raises(FileLockError) as failure:
        with held_lock(str(missing)):
            pass
    assert 'cannot open the lock file %s' % missing in str(failure.value)


# ---- debug_level takes the lock around its read-modify-write ---------------------------------

def run_debug_level(tmp_path, args):
    """The module as Ansible runs it on a host: its own process, arguments from a file."""
    args_file = tmp_path / 'args.json'
    args_file.write_text(json.dumps({'ANSIBLE_MODULE_ARGS': args}))
    env = dict(os.environ, PYTHONPATH=os.path.join(REPO, '.build'))
    proc = subprocess.run([sys.executable, '-m', 'ansible_collections.billmgr.ops.plugins.modules.debug_level',
                           str(args_file)], capture_output=True, text=True, env=env, timeout=120,
                          check=False)
    return json.loads(proc.stdout)


@pytest.fixture
def mgr_root(tmp_path):
    (tmp_path / 'mgr5' / 'etc').mkdir(parents=True)
    (tmp_path / 'mgr5' / 'etc' / 'debug.conf').write_bytes(b'* 6\nbillmgr.* 4\n')
    return tmp_path / 'mgr5'


def test_debug_level_waits_for_a_slow_writer_instead_of_losing_its_change(tmp_path, mgr_root):
    conf = mgr_root / 'etc' / 'debug.conf'
    writer = Holder(lock_path_for(str(conf)), data_file=conf)
    result = {}
    module = threading.Thread(target=lambda: result.update(run_debug_level(
        tmp_path, {'mgr_root': str(mgr_root), 'log': 'pmbillmgr', 'level': 9, 'expires': '1h'})))
    module.start()
    try:
        module.join(timeout=1.0)
        assert module.is_alive(), 'debug_level did not wait for the lock'
    finally:
        writer.release()
    module.join(timeout=120)
    assert result.get('changed') is True, result
    text = conf.read_text()
    assert '# written by the slow writer\n' in text, 'the slow writer lost its line'
    assert '\npmbillmgr 9\n' in text, 'debug_level lost its change'


def test_debug_level_gives_up_on_a_lock_it_cannot_get_and_names_the_holder(tmp_path, mgr_root):
    conf = mgr_root / 'etc' / 'debug.conf'
    before = conf.read_bytes()
    holder = Holder(lock_path_for(str(conf)), owner='another debug.yml run')
    try:
        # The module's own wait (60 s) is shortened through a wrapper that sets it before main().
        args_file = tmp_path / 'args.json'
        args_file.write_text(json.dumps({'ANSIBLE_MODULE_ARGS': {
            'mgr_root': str(mgr_root), 'log': 'billmgr', 'level': 9, 'expires': '1h'}}))
        code = ('import sys; from ansible_collections.billmgr.ops.plugins.modules import debug_level as m; '
                'm.LOCK_TIMEOUT = 0.3; sys.argv = ["debug_level", sys.argv[1]]; m.main()')
        env = dict(os.environ, PYTHONPATH=os.path.join(REPO, '.build'))
        proc = subprocess.run([sys.executable, '-c', code, str(args_file)], capture_output=True, text=True,
                              env=env, timeout=120, check=False)
    finally:
        holder.release()
    result = json.loads(proc.stdout)
    assert result['failed'] is True and result['changed'] is False
    assert 'another debug.yml run' in result['msg'] and '.debug.conf.lock' in result['msg']
    assert conf.read_bytes() == before


def test_debug_level_in_check_mode_leaves_no_lock_file(tmp_path, mgr_root):
    result = run_debug_level(tmp_path, {'mgr_root': str(mgr_root), 'log': 'billmgr', 'level': 9,
                                        '_ansible_check_mode': True})
    assert result['changed'] is True
    assert sorted(os.listdir(str(mgr_root / 'etc'))) == ['debug.conf']
