# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""module_defaults sets mgr_root once for every module of the action group billmgr.ops.billmgr."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
MODULES = REPO / 'plugins' / 'modules'


def documented_options(path):
    source = path.read_text()
    start = source.index("DOCUMENTATION = r'''") + len("DOCUMENTATION = r'''")
    doc = yaml.safe_load(source[start:source.index("'''", start)])
    fragments = doc.get('extends_documentation_fragment') or []
    return set(doc.get('options') or {}) | ({'mgr_root'} if 'billmgr.ops._common.mgr_root' in fragments else set())


def test_the_group_holds_every_module_with_mgr_root_and_no_other():
    groups = yaml.safe_load((REPO / 'meta' / 'runtime.yml').read_text())['action_groups']
    with_root = {path.stem for path in MODULES.glob('*.py') if 'mgr_root' in documented_options(path)}
    assert set(groups['billmgr']) == with_root


def test_module_defaults_of_the_group_reach_each_module(tmp_path):
    root = tmp_path / 'elsewhere' / 'mgr5'
    playbook = tmp_path / 'defaults.yml'
    tasks = [{'name': module, 'billmgr.ops.%s' % module: args, 'register': 'result', 'ignore_errors': True}
             for module, args in (('licctl_info', {}), ('log_grep', {'logs': ['billmgr']}),
                                  ('mgrctl', {'func': 'whoami'}))]
    for task in list(tasks):
        tasks.insert(tasks.index(task) + 1, {'ansible.builtin.copy': {
            'content': '{{ result.msg | to_json }}', 'dest': str(tmp_path / (task['name'] + '.json'))}})
    playbook.write_text(yaml.safe_dump([{'hosts': 'localhost', 'gather_facts': False,
                                         'module_defaults': {'group/billmgr.ops.billmgr': {'mgr_root': str(root)}},
                                         'tasks': tasks}]))
    proc = subprocess.run([str(Path(sys.executable).parent / 'ansible-playbook'), '-i', 'localhost,', '-c', 'local',
                           '-e', 'ansible_python_interpreter=%s' % sys.executable, str(playbook)],
                          capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    for module in ('licctl_info', 'log_grep', 'mgrctl'):
        message = json.loads((tmp_path / (module + '.json')).read_text())
        # Each one looked for the platform below the root the group's defaults gave it.
        assert str(root) in message, (module, message)
