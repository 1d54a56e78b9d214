# -*- coding: utf-8 -*-
# Copyright: billmgr.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A pytest plugin: run a billmgr.ops module the way Ansible runs it, for any module's tests.

``run_module(module, args, check_mode=False, diff=False)`` feeds ARGS through
``patch_module_args``, calls the module's ``main()``, and returns the JSON result the module
printed, after Ansible's own result shaping (no_log masking, invocation, warnings; warnings and
deprecations are given as their message strings, as the controller shows them).  Reading the
printed JSON instead of mocking ``exit_json`` means a test sees exactly what a controller would,
including a secret that leaked past ``no_log``, and a stray ``print`` makes the test fail.

``ansible_doc(fqcn)`` runs ``ansible-doc --json`` on the collection as it is installed below
``.build`` (so doc fragments are merged), and ``assert_docs_match_argspec(module, options)``
checks that every option is documented exactly as the module declares it.  ``fake_mgr_root`` is
an empty platform install root in a temporary directory where a test can put stand-in tools and
database settings. All of them are fixtures; the conftest of each test folder that runs modules
loads this plugin (``pytest_plugins``), so test files never import it by module name.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys

import pytest

from ansible.module_utils import _internal, basic
from ansible.module_utils.testing import patch_module_args


class ModuleFinished(Exception):
    """Raised instead of building an AnsibleModule when only its argument spec is wanted."""


def _run(module, args, check_mode=False, diff=False):
    module_args = dict(args or {})
    if check_mode:
        module_args['_ansible_check_mode'] = True
    if diff:
        module_args['_ansible_diff'] = True
    out = io.StringIO()
    exit_code = None
    # A module runs on the target. Once a test of a controller plugin (a filter) has imported the
    # controller, module warnings would go to the controller's display instead of the result.
    was_controller, _internal.is_controller = _internal.is_controller, False
    with patch_module_args(module_args), contextlib.redirect_stdout(out):
        try:
            module.main()
        except SystemExit as exc:
            exit_code = exc.code
        else:
            raise AssertionError('%s.main() returned without exit_json or fail_json' % module.__name__)
        finally:
            _internal.is_controller = was_controller
    printed = out.getvalue().strip()
    try:
        result = json.loads(printed)
    except ValueError:
        raise AssertionError('module printed something other than one JSON result:\n%s' % printed)
    # Ansible decides success from the exit status as well as from "failed"; they must agree.
    assert bool(result.get('failed')) == (exit_code != 0), (exit_code, result)
    for key in ('warnings', 'deprecations'):
        if key in result:
            result[key] = [_event_text(item) for item in result[key]]
    return result


def _event_text(item):
    """Warnings arrive as serialised event objects; the controller shows their message."""
    if isinstance(item, dict) and isinstance(item.get('event'), dict):
        return item['event'].get('msg')
    if isinstance(item, dict) and 'msg' in item:
        return item['msg']
    return item


@pytest.fixture
def run_module():
    """``run_module(module, args, check_mode=False, diff=False) -> dict`` (the printed result)."""
    return _run


def module_argspec(module):
    """The ``argument_spec`` (and ``supports_check_mode``) MODULE hands to AnsibleModule."""
    captured = {}

    def capture(self, argument_spec, **kwargs):
        captured['argument_spec'] = argument_spec
        captured.update(kwargs)
        raise ModuleFinished()

    original = basic.AnsibleModule.__init__
    basic.AnsibleModule.__init__ = capture
    try:
        with patch_module_args({}):
            module.main()
    except ModuleFinished:
        pass
    finally:
        basic.AnsibleModule.__init__ = original
    if 'argument_spec' not in captured:
        raise AssertionError('%s.main() never built an AnsibleModule' % module.__name__)
    return captured


def _collections_path():
    import ansible_collections.billmgr.ops as ops_package
    ops_dir = list(ops_package.__path__)[0]
    return os.path.dirname(os.path.dirname(os.path.dirname(ops_dir)))


def ansible_doc(fqcn, plugin_type='module'):
    """``ansible-doc --json`` for FQCN from the installed collection; fails the test on error."""
    ansible_doc_bin = os.path.join(os.path.dirname(sys.executable), 'ansible-doc')
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=_collections_path(), ANSIBLE_NOCOLOR='1')
    proc = subprocess.run([ansible_doc_bin, '-t', plugin_type, '--json', fqcn],
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert 'WARNING' not in proc.stderr.upper(), proc.stderr
    docs = json.loads(proc.stdout)
    assert fqcn in docs, proc.stdout[:2000]
    return docs[fqcn]


def assert_docs_match_argspec(module, doc_options):
    """Every option documented as it is declared: type, default, choices, elements, required.

    DOC_OPTIONS is the merged ``options`` from ``ansible_doc`` (so fragments count).
    """
    spec = module_argspec(module)['argument_spec']
    assert sorted(spec) == sorted(doc_options), (sorted(spec), sorted(doc_options))
    for name, declared in spec.items():
        documented = doc_options[name]
        assert documented.get('type', 'str') == declared.get('type', 'str'), name
        assert documented.get('default') == declared.get('default'), name
        assert documented.get('choices') == declared.get('choices'), name
        assert documented.get('elements') == declared.get('elements'), name
        assert bool(documented.get('required')) == bool(declared.get('required')), name


@pytest.fixture(name='ansible_doc')
def ansible_doc_fixture():
    return ansible_doc


@pytest.fixture(name='assert_docs_match_argspec')
def assert_docs_match_argspec_fixture():
    return assert_docs_match_argspec


class FakeMgrRoot:
    """A platform install root in a temporary directory: ``sbin``, ``etc``, ``var`` and stand-ins."""

    def __init__(self, path):
        self.path = str(path)
        for sub in ('sbin', 'etc', 'var', 'bin'):
            os.makedirs(os.path.join(self.path, sub), exist_ok=True)

    def join(self, *parts):
        return os.path.join(self.path, *parts)

    def write_db_conf(self, host, user, password, name):
        """The database settings in ``etc/billmgr.conf.d/db.conf``, after a ``billmgr.conf`` whose
        own DBHost must lose to them."""
        os.makedirs(self.join('etc', 'billmgr.conf.d'), exist_ok=True)
        with open(self.join('etc', 'billmgr.conf'), 'w') as handle:
            handle.write('# the database is in billmgr.conf.d/db.conf\nLang en\nDBHost wrong-if-read-last\n')
        with open(self.join('etc', 'billmgr.conf.d', 'db.conf'), 'w') as handle:
            handle.write('DBHost %s\nDBUser %s\nDBPassword %s\nDBName %s\n' % (host, user, password, name))

    def install_tool(self, relative, body):
        """Write BODY as an executable Python script at RELATIVE (``sbin/mgrctl``); return its path."""
        path = self.join(relative)
        with open(path, 'w') as handle:
            handle.write('#!%s\n' % sys.executable)
            handle.write(body)
        os.chmod(path, 0o755)
        return path


@pytest.fixture
def fake_mgr_root(tmp_path):
    return FakeMgrRoot(tmp_path / 'mgr5')
