"""The lab lock held across processes, for a molecule scenario.

A test session holds the lab lock for as long as its fleet runs. Molecule's create and destroy are
separate playbooks, so the lock is held for them by a small detached process, the holder: `labctl
lock` starts it (and returns once it holds the lock, after waiting for any test session), `labctl
unlock` or `labctl down` ends it. The holder's pid is in the lab directory; it gives the lock up by
itself after ``max_seconds``, so a scenario that crashed before its destroy cannot keep it forever.
"""

import fcntl
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

HOLDER_FILE = 'lock-holder.pid'
HELD = b'held\n'
# Longer than any molecule scenario; the bound for a scenario that never ran its destroy.
DEFAULT_MAX_SECONDS = 3600
# How long `lock` waits for a test session (a whole integration run) to let the lock go.
DEFAULT_WAIT_SECONDS = 3600


class LockError(Exception):
    """The lock could not be taken; the message is meant for the person running the scenario."""


def _cmdline(pid):
    try:
        return Path('/proc/%d/cmdline' % pid).read_bytes().split(b'\0')
    except OSError:
        return []


def _is_holder(pid, lab_dir):
    argv = _cmdline(pid)
    return b'lock-holder' in argv and str(lab_dir).encode() in argv and not _is_zombie(pid)


def _is_zombie(pid):
    try:
        return Path('/proc/%d/stat' % pid).read_text().rsplit(')', 1)[1].split()[0] == 'Z'
    except (OSError, IndexError):
        return True


def holder_pid(lab_dir):
    """The pid of the live holder of LAB_DIR, or None."""
    try:
        pid = int((Path(lab_dir) / HOLDER_FILE).read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if _is_holder(pid, lab_dir) else None


def hold(labctl, lab_dir, lock_path, wait_seconds=DEFAULT_WAIT_SECONDS, max_seconds=DEFAULT_MAX_SECONDS):
    """Have a holder for LAB_DIR hold LOCK_PATH; returns its pid once it does.

    LABCTL is the command line that runs this lab's labctl.py (its ``lock-holder`` subcommand).
    """
    pid = holder_pid(lab_dir)
    if pid:
        return pid
    Path(lab_dir).mkdir(parents=True, exist_ok=True)
    log = open(Path(lab_dir) / 'lock-holder.log', 'wb')
    # Its own session and its own stdout pipe: neither the caller's terminal nor the pipe Ansible
    # reads the caller's output from stays open while it runs.
    proc = subprocess.Popen(
        list(labctl) + ['--lab-dir', str(lab_dir), 'lock-holder', '--lock-file', str(lock_path),
                        '--wait-seconds', str(wait_seconds), '--max-seconds', str(max_seconds)],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log, start_new_session=True)
    log.close()
    ready, _w, _x = select.select([proc.stdout], [], [], wait_seconds + 10)
    answer = proc.stdout.readline() if ready else b''
    proc.stdout.close()
    if answer != HELD:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        said = _last_line(Path(lab_dir) / 'lock-holder.log')
        raise LockError('the lab lock %s was not taken: %s'
                        % (lock_path, said or 'not free within %d s (a test session holds it)' % wait_seconds))
    return proc.pid


def _last_line(path):
    try:
        lines = path.read_text(errors='replace').strip().splitlines()
    except OSError:
        return ''
    return lines[-1] if lines else ''


def release(lab_dir, timeout=10):
    """End the holder of LAB_DIR, if one runs; returns whether there was one."""
    pid = holder_pid(lab_dir)
    if not pid:
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _is_holder(pid, lab_dir) and time.monotonic() < deadline:
        time.sleep(0.05)
    if _is_holder(pid, lab_dir):
        os.kill(pid, signal.SIGKILL)
    return True


class _Stop(Exception):
    """Ends the wait for the lock: its time is up, or the holder was told to stop."""


def _stop_waiting(number, _frame):
    raise _Stop('the wait ended after %s' % ('its time was up' if number == signal.SIGALRM
                                              else 'a signal told the holder to stop'))


def run_holder(lab_dir, lock_path, wait_seconds, max_seconds):
    """The holder itself: take the lock, say so on stdout, keep it until told or until max_seconds."""
    handle = open(lock_path, 'a')
    # A blocking wait, as a test session's: a waiter that polled would lose every release to them.
    for number in (signal.SIGALRM, signal.SIGTERM, signal.SIGINT):
        signal.signal(number, _stop_waiting)
    signal.setitimer(signal.ITIMER_REAL, wait_seconds)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
    except _Stop as exc:
        sys.stderr.write('lab lock %s not taken: %s (%d s allowed)\n' % (lock_path, exc, wait_seconds))
        return 1
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    signal.signal(signal.SIGINT, lambda *_: stop.append(True))
    pid_file = Path(lab_dir) / HOLDER_FILE
    tmp = pid_file.with_name(pid_file.name + '.tmp')
    tmp.write_text('%d\n' % os.getpid())
    os.replace(tmp, pid_file)
    try:
        sys.stdout.buffer.write(HELD)
        sys.stdout.flush()
        sys.stdout.close()
        give_up = time.monotonic() + max_seconds
        while not stop and time.monotonic() < give_up:
            time.sleep(0.2)
    finally:
        try:
            if pid_file.read_text().strip() == str(os.getpid()):
                pid_file.unlink()
        except OSError:
            pass
        handle.close()
    return 0
