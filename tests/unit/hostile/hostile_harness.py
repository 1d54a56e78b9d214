# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The adversarial suite's harness: every case runs a module in a child process under a hard guard.

``attack(module, args, root, ...)`` forks a child in a process group of its own, runs the module's
``main()`` there as Ansible would (arguments patched in, the printed JSON result read back) and
waits at most GUARD_SECONDS of wall-clock time; past that the whole group is killed and the case
fails as a hang.  A traceback, a result that is not JSON, a secret anywhere in the result, or a
changed byte, mode or owner anywhere below the fake install root outside the files the case lets
the module manage also fails it.  The guard is a kill switch, not a timing assertion: a case that
finishes a hundred times slower still passes.

Each case ends as ``refused`` (failed with a message naming the option or file) or ``handled``
(the right result); the figures are printed at the end of the run and written to
``.build/hostile-figures.json`` for the README's reliability section.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import select
import signal
import stat
import sys
import time
import traceback

from ansible.module_utils import _internal
from ansible.module_utils.testing import patch_module_args

GUARD_SECONDS = 60
FIGURES = {'tried': 0, 'refused': 0, 'handled': 0, 'by_module': {}}

# The hostile forms of the issue, shared by every module's cases.
BAD_NAMES = ['billmgr\n', 'billmgr\r', 'bill\tmgr', 'bill\x00mgr', 'billmgr\u00e9', '\u0431\u0438\u043b\u043b',
             '../etc', '/etc/passwd', 'a/b', '..', '']
BAD_TIMEOUTS = ['inf', '-inf', 'nan', '1e300', '-1', '0', '86401']
BAD_TIMES = ['2026-01-01T00:00:00+99:00', '2026-01-01T00:00:00-24:00', '0001-01-01T00:00:00',
             '9999-12-31T23:59:59', '+99:00', '99999999999999w', 'nan', '1h\x00', '2026-13-45']


def _snapshot(root):
    """Path -> (kind, mode, owner, content digest) of everything below ROOT, links not followed."""
    found = {}
    for directory, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(directory, name)
            info = os.lstat(path)
            digest = None
            if stat.S_ISREG(info.st_mode):
                with open(path, 'rb') as handle:
                    digest = hashlib.sha256(handle.read()).hexdigest()
            elif stat.S_ISLNK(info.st_mode):
                digest = os.readlink(path)
            found[os.path.relpath(path, root)] = (stat.S_IFMT(info.st_mode), stat.S_IMODE(info.st_mode),
                                                  info.st_uid, info.st_gid, digest)
    return found


def _child(module, args, write_fd, as_uid, env):
    os.setsid()
    os.environ.update(env or {})
    if as_uid is not None:
        os.setgroups([])
        os.setresgid(as_uid, as_uid, as_uid)
        os.setresuid(as_uid, as_uid, as_uid)
    out = io.StringIO()
    outcome = {'kind': 'result'}
    _internal.is_controller = False
    try:
        with patch_module_args(args), contextlib.redirect_stdout(out):
            try:
                module.main()
                outcome = {'kind': 'returned'}
            except SystemExit as exc:
                outcome = {'kind': 'exit', 'code': exc.code}
    except BaseException:  # pylint: disable=broad-except
        outcome = {'kind': 'traceback', 'text': traceback.format_exc()}
    outcome['printed'] = out.getvalue()
    data = json.dumps(outcome).encode('utf-8')
    while data:
        data = data[os.write(write_fd, data):]
    os._exit(0)


def run_guarded(module, args, as_uid=None, env=None, on_start=None):
    """Run MODULE with ARGS in a forked child under the guard: ``(outcome dict, wall seconds)``.

    ON_START(pid) is called once the child runs (a case that signals it mid-call)."""
    read_fd, write_fd = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        os.close(read_fd)
        try:
            _child(module, args, write_fd, as_uid, env)
        finally:
            os._exit(70)
    os.close(write_fd)
    started = time.monotonic()
    if on_start is not None:
        on_start(pid)
    chunks = []
    hung = False
    while True:
        left = GUARD_SECONDS - (time.monotonic() - started)
        if left <= 0:
            hung = True
            break
        ready, _w, _x = select.select([read_fd], [], [], left)
        if not ready:
            continue
        chunk = os.read(read_fd, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(read_fd)
    # The child's group (it called setsid): killed at the guard, and swept after a normal end.
    with contextlib.suppress(OSError):
        os.killpg(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    if hung:
        return {'kind': 'hang'}, time.monotonic() - started
    text = b''.join(chunks).decode('utf-8', 'replace')
    try:
        return json.loads(text), time.monotonic() - started
    except ValueError:
        return {'kind': 'died', 'text': text}, time.monotonic() - started


def _record(module_name, verdict):
    FIGURES['tried'] += 1
    FIGURES[verdict] += 1
    per = FIGURES['by_module'].setdefault(module_name, {'tried': 0, 'refused': 0, 'handled': 0})
    per['tried'] += 1
    per[verdict] += 1


def attack(module, args, root=None, refused=None, handled=None, managed=(), secrets=(), check_mode=False,
           as_uid=None, env=None, on_start=None):
    """One hostile case; returns the module's result.

    REFUSED: text the failure message must hold (the option's or file's name).  HANDLED: a
    callable that asserts the result is right (the case must then not fail).  MANAGED: paths
    relative to ROOT the module may change.  SECRETS: strings that must appear nowhere in the
    result.
    """
    assert (refused is None) != (handled is None), 'a case is either refused or handled'
    module_args = dict(args)
    if check_mode:
        module_args['_ansible_check_mode'] = True
    before = _snapshot(root) if root else None
    outcome, _seconds = run_guarded(module, module_args, as_uid=as_uid, env=env, on_start=on_start)
    name = module.__name__.rsplit('.', 1)[-1]
    described = '%s %r' % (name, {key: value for key, value in args.items() if key != 'mgr_root'})
    assert outcome['kind'] != 'hang', '%s: no answer within the %ss guard' % (described, GUARD_SECONDS)
    assert outcome['kind'] != 'traceback', '%s: traceback\n%s' % (described, outcome['text'])
    assert outcome['kind'] == 'exit', '%s: %s' % (described, outcome)
    printed = outcome['printed'].strip()
    try:
        result = json.loads(printed)
    except ValueError:
        raise AssertionError('%s: printed something other than one JSON result:\n%s' % (described, printed[:2000]))
    assert 'Traceback' not in printed and 'MODULE FAILURE' not in printed, (described, printed[:2000])
    for secret in secrets:
        assert secret not in printed, '%s: the secret %r is in the result' % (described, secret)
    if root:
        after = _snapshot(root)
        changed = sorted(path for path in set(before) | set(after)
                         if before.get(path) != after.get(path) and path not in managed)
        assert not changed, '%s: changed outside what it manages: %s' % (described, changed)
    if refused is not None:
        assert result.get('failed'), '%s: let through: %s' % (described, result)
        assert refused in result.get('msg', ''), '%s: message does not name %r: %s' % (described, refused, result.get('msg'))
        _record(name, 'refused')
    else:
        assert not result.get('failed'), '%s: failed: %s' % (described, result.get('msg'))
        handled(result)
        _record(name, 'handled')
    return result


def record_handled(name):
    """A case checked without a module run (a helper attacked directly) counts as handled."""
    _record(name, 'handled')


def record_refused(name):
    _record(name, 'refused')


def make_special(path, kind):
    """Put at PATH what KIND names: ``fifo``, ``directory``, or a symlink to KIND (``/dev/zero``)."""
    if kind == 'fifo':
        os.mkfifo(str(path))
    elif kind == 'directory':
        os.mkdir(str(path))
    else:
        os.symlink(kind, str(path))


def install_tool(root, relative, body):
    """An executable Python stand-in at ROOT/RELATIVE."""
    path = root / relative
    path.write_text('#!%s\n%s' % (sys.executable, body))
    path.chmod(0o755)
    return str(path)
