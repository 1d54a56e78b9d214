"""The sweep as AWX runs it: through ansible-runner, with survey strings, and an EE definition that builds."""

import json
import subprocess
import sys

import ansible_runner
import yaml

from conftest import REPO, VENV_BIN, ansible_env


def test_runner_leaves_the_summary_in_its_artifacts(lab, tmp_path, monkeypatch):
    env = ansible_env()
    # ansible-runner looks ansible-playbook up on PATH, as AWX's execution environment has it.
    monkeypatch.setenv('PATH', '%s:%s' % (VENV_BIN, env['PATH']))
    (tmp_path / 'runner').mkdir()
    result = ansible_runner.run(
        private_data_dir=str(tmp_path / 'runner'),
        playbook=str(REPO / 'playbooks' / 'health.yml'),
        inventory=lab.inventory,
        # What an AWX survey sends: every answer a string.
        extravars={'billmgr_report_dir': str(tmp_path / 'reports'), 'billmgr_health_fail_on': 'never',
                   'billmgr_health_log_window': '24h', 'billmgr_health_disk_used_warning_pct': '85',
                   'billmgr_health_since_last_sweep': 'false'},
        envvars={key: env[key] for key in ('ANSIBLE_COLLECTIONS_PATH', 'ANSIBLE_CONFIG')},
        quiet=True,
    )
    assert result.status == 'successful', result.stdout.read()[-3000:]
    stats = [event for event in result.events if event.get('event') == 'playbook_on_stats']
    summary = stats[-1]['event_data']['artifact_data']['billmgr_report_summary']
    assert summary['hosts'] == len(lab.hosts)
    assert set(summary['findings']) >= {'critical', 'warning', 'info'}
    assert summary['report_dir'].startswith(str(tmp_path / 'reports'))
    # The same data is on disk, where an AWX job's artifacts are collected from.
    artifacts = list((tmp_path / 'runner' / 'artifacts').glob('*/job_events/*.json'))
    assert any('billmgr_report_summary' in path.read_text() for path in artifacts)


def test_execution_environment_definition_builds_a_context(tmp_path):
    context = tmp_path / 'context'
    proc = subprocess.run([str(VENV_BIN / 'ansible-builder'), 'create', '-f',
                           str(REPO / 'extensions' / 'ee' / 'execution-environment.yml'), '-c', str(context),
                           '--output-filename', 'Containerfile'],
                          capture_output=True, text=True, cwd=str(REPO / 'extensions' / 'ee'))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    containerfile = (context / 'Containerfile').read_text()
    assert 'ansible-galaxy' in containerfile
    galaxy = yaml.safe_load((context / '_build' / 'requirements.yml').read_text())
    assert galaxy['collections'][0]['name'] == 'billmgr.ops'


def test_collection_ee_metadata_points_at_real_files():
    meta = yaml.safe_load((REPO / 'meta' / 'execution-environment.yml').read_text())
    for kind in ('python', 'system'):
        assert (REPO / meta['dependencies'][kind]).is_file(), kind
    # The collection's controller side imports nothing outside ansible-core and the stdlib.
    proc = subprocess.run([sys.executable, '-c', 'import ansible_collections.billmgr.ops.plugins.filter.health, '
                           'ansible_collections.billmgr.ops.plugins.filter.report'],
                          capture_output=True, text=True, env=ansible_env({'PYTHONPATH': str(REPO / '.build')}))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(json.dumps(meta))  # plain data, as ansible-builder expects
