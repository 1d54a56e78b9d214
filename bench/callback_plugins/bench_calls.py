# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Counts module executions and raw commands per target, and times tasks, for bench/bench_sweep.py.

A task result does not tell whether a module ran on the host (set_fact and assert run on the
controller), so this callback wraps the two methods of Ansible's action plugins that reach a
host: ``_execute_module`` and ``_low_level_execute_command``. Workers are forked from the
controller process after callbacks load, so they run the wrapped methods, and each call appends
one line ``kind<TAB>address<TAB>connection<TAB>module`` to the file named by BENCH_CALLS_FILE
(an O_APPEND write of one short line is atomic between processes). The callback itself adds
``task<TAB>monotonic seconds<TAB>controller CPU seconds<TAB>task name<TAB>action`` when a task
starts and ``end<TAB>seconds<TAB>CPU seconds`` when the play ends: under the linear strategy a task
lasts until the next one starts. The controller's CPU is that of this process's tree as /proc
shows it: every live process's own time plus what each has reaped (workers are reaped late, so
rusage alone would credit their time to a later task).
"""

from __future__ import annotations

DOCUMENTATION = r'''
name: bench_calls
type: aggregate
short_description: Count module executions and raw commands per target (benchmark only)
description:
  - Appends one line per module execution and per raw command to the file named by the
    BENCH_CALLS_FILE environment variable.
requirements:
  - enabled in callbacks_enabled
'''

import os
import sys
import threading
import time

from ansible.plugins.action import ActionBase
from ansible.plugins.callback import CallbackBase

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from measure import tree_cpu_seconds  # noqa: E402  (bench/measure.py, beside this directory)

_depth = threading.local()


def _record(kind, action, module):
    address = getattr(action._play_context, 'remote_addr', None) or '?'
    connection = getattr(action._connection, 'transport', None) or type(action._connection).__name__
    _append(kind, address, connection, module)


def _append(*fields):
    path = os.environ.get('BENCH_CALLS_FILE')
    if not path:
        return
    line = '\t'.join(str(value).replace('\t', ' ').replace('\n', ' ') for value in fields) + '\n'
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode('utf-8'))
    finally:
        os.close(fd)


def _wrap(cls, name, kind):
    original = cls.__dict__.get(name)
    if original is None or getattr(original, '_bench_wrapped', False):
        return

    def wrapper(self, *args, **kwargs):
        # Only the outermost call of a kind counts: a mixin's method may call the base class's.
        depth = getattr(_depth, kind, 0)
        if depth == 0:
            module = kwargs.get('module_name') or (args[0] if args and kind == 'module' else None)
            _record(kind, self, module or getattr(self._task, 'action', '?'))
        setattr(_depth, kind, depth + 1)
        try:
            return original(self, *args, **kwargs)
        finally:
            setattr(_depth, kind, depth)
    wrapper._bench_wrapped = True
    setattr(cls, name, wrapper)


def _install():
    classes = [ActionBase]
    if os.environ.get('ANSIBLE_STRATEGY', '').startswith('mitogen'):
        # Mitogen's actions override both methods in a mixin placed before ActionBase.
        from ansible_mitogen.mixins import ActionModuleMixin
        classes.append(ActionModuleMixin)
    for cls in classes:
        _wrap(cls, '_execute_module', 'module')
        _wrap(cls, '_low_level_execute_command', 'command')


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'bench_calls'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _install()

    def v2_playbook_on_task_start(self, task, is_conditional):
        _append('task', '%.3f' % time.monotonic(), '%.3f' % _controller_cpu(), task.get_name(), task.action)

    def v2_playbook_on_handler_task_start(self, task):
        self.v2_playbook_on_task_start(task, False)

    def v2_playbook_on_stats(self, stats):
        _append('end', '%.3f' % time.monotonic(), '%.3f' % _controller_cpu())


def _controller_cpu():
    return tree_cpu_seconds([os.getpid()])
