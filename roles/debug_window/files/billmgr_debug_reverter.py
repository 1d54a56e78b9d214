#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Undo this collection's temporary debug levels on the host itself when their time is up.

The billmgr.ops.debug_window role installs this script in a directory of its own, next to a copy of
the collection's host-side package it runs on (``_hostside/``, every file of
``plugins/module_utils/_hostside``: the same code as the modules, never a copy of their logic), and a
line in root's crontab starts it every minute.  The controller that raised the levels may be gone by then.
Each run:

1. Under the lock every writer of ``etc/debug.conf`` takes, undoes the managed entries whose
   expiry has passed by the host's clock (the operator's previous line comes back exactly) and
   replaces the file atomically, keeping its owner and mode; a file the levels were the only thing
   in, created for them, is removed again.  A marker edited by hand into something unreadable is
   left alone and named in the log.  What must be restarted for that is
   written to ``pending-restarts.json`` first, so a restart that fails, or waits for maintenance
   mode to end, is tried again the next minute.
2. Restarts the platform once (``mgrctl -m MGR -R``), unless ``etc/MGR.DoNothing`` says it is in
   maintenance: then the restart waits.  A level of ``ihttpd`` takes a restart of that service
   instead, done with systemctl when the host runs systemd and otherwise left to a person, as
   the log says.
3. When no managed entry with an expiry is left and no restart is pending, removes its crontab
   line and its files.  That happens under the debug.conf lock: a run that raises a level at the
   same moment either wrote before (the entry is seen, the reverter stays) or writes after, and
   then installs the reverter again.

Runs that overlap (a slow restart) do not pile up: a run that finds another one busy leaves.
Every action is one line on stdout, with a UTC time, for the log the crontab line appends to.
Stdlib only; cron starts it with an explicit Python 3 (the shebang is only the sanity tests' form).
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # nothing may be left behind when the reverter removes itself
HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from _hostside.debugconf import DebugConf, format_time, restart_targets, utc_now  # noqa: E402
from _hostside.filelock import FileLockError, held_lock, lock_path_for  # noqa: E402
from _hostside.hostfile import CONFIG_LIMIT, read_bytes, replaceable_target  # noqa: E402
from _hostside.mgrctl import Mgrctl, Runner, describe_error, local_run_command  # noqa: E402
from _hostside.paths import DEFAULT_MANAGER, DEFAULT_MGR_ROOT, MgrLayout  # noqa: E402

NAME = 'billmgr.ops debug reverter'
# The collection's package this script runs on; the role ships every file of it, in a folder of
# the same name next to the script.
SHIPPED_PACKAGE = '_hostside'
# Written by the role when it opens a debug window (read back to collect the window's errors).
WINDOW_FILE = 'window-start'
PENDING_FILE = 'pending-restarts.json'
RUN_LOCK = '.run.lock'
SYSTEMD_RUNTIME_DIR = '/run/systemd/system'
FILE_MODE = 0o600


def say(message):
    sys.stdout.write('%s %s: %s\n' % (format_time(utc_now()), NAME, message))
    sys.stdout.flush()


# ---- debug.conf ----------------------------------------------------------------------------------

def replace_atomically(path, data):
    """Put DATA in PATH in one step (temporary file and rename), keeping owner, group and mode.

    Through a symlink the target is replaced, so the link stays a link; anything but a regular
    file there (a device, a dangling link) is refused with an OSError naming it.
    """
    target = replaceable_target(path, 'debug.conf')
    directory, name = os.path.split(target)
    current = os.stat(target)
    handle, temp_path = tempfile.mkstemp(dir=directory, prefix='.%s.' % name, suffix='.tmp')
    try:
        with os.fdopen(handle, 'wb') as temp:
            temp.write(data)
            temp.flush()
            os.fchown(temp.fileno(), current.st_uid, current.st_gid)
            os.fchmod(temp.fileno(), stat.S_IMODE(current.st_mode))
            os.fsync(temp.fileno())
        os.rename(temp_path, target)
    except BaseException:
        if os.path.exists(temp_path):
            os.unlink(temp_path)
        raise
    _sync_directory(directory)


def _sync_directory(directory):
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def read_conf(path):
    try:
        return DebugConf.parse(read_bytes(path, CONFIG_LIMIT, 'debug.conf'))
    except FileNotFoundError:
        return None


def expiring(conf):
    """Managed entries that carry an expiry, i.e. that this reverter is still waiting for."""
    return [entry for entry in conf.managed() if entry.expires is not None] if conf is not None else []


def revert_due(path, now):
    """Undo the managed entries of PATH whose expiry is past NOW; return them."""
    conf = read_conf(path)
    if conf is None:
        return []
    undone = conf.revert_expired(now)
    if undone and conf.should_be_removed():
        # The file did not exist before these levels were raised: it goes again, as it came.
        os.unlink(path)
        _sync_directory(os.path.dirname(os.path.realpath(path)))
    elif undone:
        replace_atomically(path, conf.render())
    return undone


def bad_markers(path):
    conf = read_conf(path)
    return conf.bad_markers() if conf is not None else []


def describe(entry):
    previous = 'put back level %s' % entry.previous if entry.previous is not None else 'removed the line'
    return '%s.%s (level %s, expired %s): %s' % (entry.log, entry.module, entry.level,
                                                 format_time(entry.expires), previous)


# ---- restarts ------------------------------------------------------------------------------------

def restarts_for(entries):
    """``{'platform': bool, 'services': [...]}`` that undoing ENTRIES calls for."""
    platform, services = restart_targets(sorted(set(entry.log for entry in entries)))
    return {'platform': bool(platform), 'services': services}


def load_pending(path):
    try:
        with open(path, encoding='utf-8') as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return {'platform': False, 'services': []}
    return {'platform': bool(data.get('platform')), 'services': sorted(set(data.get('services') or []))}


def save_pending(path, pending):
    if not pending['platform'] and not pending['services']:
        if os.path.exists(path):
            os.unlink(path)
        return
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, 'w', encoding='utf-8') as handle:
        json.dump(pending, handle)


def merge(pending, more):
    return {'platform': pending['platform'] or more['platform'],
            'services': sorted(set(pending['services']) | set(more['services']))}


def restart_platform(layout, timeout):
    """True when ``mgrctl -m MGR -R`` succeeded; False when it must be tried again."""
    if os.path.exists(layout.maintenance_file):
        say('%s exists: the platform is in maintenance mode, so its restart waits until the file is '
            'gone (the platform keeps the old levels until then)' % layout.maintenance_file)
        return False
    restart, error = Mgrctl(Runner(local_run_command), layout, timeout=timeout).restart()
    if error is not None:
        say('%s -m %s -R failed: %s; trying again in a minute'
            % (layout.mgrctl, layout.manager, describe_error(error) or restart.output))
        return False
    say('restarted the platform (%s -m %s -R) for the levels to apply' % (layout.mgrctl, layout.manager))
    return True


def restart_service(service, systemctl, timeout):
    """Restart SERVICE with SYSTEMCTL, or say who has to; never tried again."""
    if not systemctl:
        say('the level of the %s log was undone, but this host does not run systemd: restart the %s '
            'service by hand (systemctl restart %s or its equivalent); until then it keeps the old level'
            % (service, service, service))
        return
    try:
        proc = subprocess.run([systemctl, 'restart', service], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        say('%s restart %s failed: %s; restart it by hand' % (systemctl, service, exc))
        return
    if proc.returncode != 0:
        say('%s restart %s failed (%d): %s; restart it by hand'
            % (systemctl, service, proc.returncode, proc.stdout.decode('utf-8', 'replace').strip()))
    else:
        say('restarted the %s service for its level to apply' % service)


def find_systemctl(choice):
    """The systemctl to use: CHOICE 'auto' finds it on a host booted with systemd; 'none' is none."""
    if choice == 'none':
        return None
    if choice != 'auto':
        return choice
    return shutil.which('systemctl') if os.path.isdir(SYSTEMD_RUNTIME_DIR) else None


def run_restarts(pending, layout, args):
    if pending['platform'] and restart_platform(layout, args.restart_timeout):
        pending = dict(pending, platform=False)
    systemctl = find_systemctl(args.systemctl)
    for service in pending['services']:
        restart_service(service, systemctl, args.restart_timeout)
    return dict(pending, services=[])


# ---- removing itself -----------------------------------------------------------------------------

def remove_crontab_lines(script, crontab):
    """Drop root's crontab lines that run SCRIPT, with the ``#Ansible:`` name line above each.

    Every other line stays byte for byte.  True when the crontab changed.
    """
    listed = subprocess.run([crontab, '-l'], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, check=False)
    if listed.returncode != 0:
        if b'no crontab' in listed.stderr.lower():
            return False
        raise OSError('%s -l failed (%d): %s' % (crontab, listed.returncode,
                                                 listed.stderr.decode('utf-8', 'replace').strip()))
    kept, changed = [], False
    for line in listed.stdout.splitlines(True):
        if script.encode('utf-8') in line and not line.lstrip().startswith(b'#'):
            if kept and kept[-1].startswith(b'#Ansible: '):
                kept.pop()
            changed = True
            continue
        kept.append(line)
    if changed:
        written = subprocess.run([crontab, '-'], input=b''.join(kept), stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, check=False)
        if written.returncode != 0:
            raise OSError('%s - failed (%d): %s' % (crontab, written.returncode,
                                                    written.stdout.decode('utf-8', 'replace').strip()))
    return changed


def remove_package(package):
    """The shipped package's Python files, and its folder when nothing else is in it."""
    try:
        names = os.listdir(package)
    except FileNotFoundError:
        return
    for name in names:
        path = os.path.join(package, name)
        if name.endswith('.py') and stat.S_ISREG(os.lstat(path).st_mode):
            os.unlink(path)
    remove_directory(package)


def remove_directory(path):
    """rmdir, never a recursive delete: a file someone else put there keeps the directory."""
    try:
        os.rmdir(path)
    except OSError as exc:
        if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
            raise
        say('left %s in place: it holds files that are not the reverter\'s' % path)


def remove_self(script, crontab):
    if remove_crontab_lines(script, crontab):
        say('nothing is waiting for its expiry any more: removed the crontab line')
    for name in (os.path.basename(script), WINDOW_FILE, PENDING_FILE, RUN_LOCK):
        try:
            os.unlink(os.path.join(HERE, name))
        except FileNotFoundError:
            pass
    remove_package(os.path.join(HERE, SHIPPED_PACKAGE))
    remove_directory(HERE)
    say('removed itself from %s' % HERE)


# ---- one run ---------------------------------------------------------------------------------------

def parse_args(argv):
    parser = argparse.ArgumentParser(description='Undo expired billmgr.ops debug levels on this host.')
    parser.add_argument('--mgr-root', default=DEFAULT_MGR_ROOT, help='install root of the platform')
    parser.add_argument('--manager', default=DEFAULT_MANAGER, help='the manager mgrctl -m restarts')
    parser.add_argument('--restart-timeout', type=float, default=120,
                        help='seconds a restart command may take before it is killed')
    parser.add_argument('--lock-timeout', type=float, default=120,
                        help='seconds to wait for another writer of debug.conf')
    parser.add_argument('--crontab', default='crontab', help='the crontab program')
    parser.add_argument('--systemctl', default='auto',
                        help="systemctl program for the ihttpd service: auto (when booted with systemd) or none")
    return parser.parse_args(argv)


def run(args):
    layout = MgrLayout(args.mgr_root, args.manager)
    conf_lock = lock_path_for(layout.debug_conf)
    pending_path = os.path.join(HERE, PENDING_FILE)

    with held_lock(conf_lock, owner=NAME, timeout=args.lock_timeout):
        undone = revert_due(layout.debug_conf, utc_now())
        pending = merge(load_pending(pending_path), restarts_for(undone))
        save_pending(pending_path, pending)
    for entry in undone:
        say('%s: %s' % (layout.debug_conf, describe(entry)))
    for number, text, why in bad_markers(layout.debug_conf):
        say("%s line %d ('%s'): %s; left alone, fix or delete it by hand" % (layout.debug_conf, number, text, why))

    pending = run_restarts(pending, layout, args)

    with held_lock(conf_lock, owner=NAME, timeout=args.lock_timeout):
        save_pending(pending_path, pending)
        waiting = expiring(read_conf(layout.debug_conf))
        if not waiting and not pending['platform']:
            remove_self(os.path.abspath(__file__), args.crontab)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    started = False
    try:
        with held_lock(os.path.join(HERE, RUN_LOCK), owner=NAME, timeout=0):
            started = True
            run(args)
    except FileLockError as exc:
        if not started:
            return 0  # another run is still at work (a slow restart); it finishes the job
        say(str(exc))
        return 1
    except OSError as exc:
        say('failed, trying again in a minute: %s' % exc)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
