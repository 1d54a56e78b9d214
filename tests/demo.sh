#!/usr/bin/env bash
# `make demo`: a lab fleet of five BILLmanager stand-ins with different faults, swept from here.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.venv/bin
"$bin/python" tests/lab/labctl.py up --scenario tests/lab/scenarios/demo.yml
echo
echo "demo: sweeping the fleet with playbooks/health.yml (read-only; reports go to reports/)"
# A fleet with faults fails the sweep by design (billmgr_health_fail_on: critical); the demo
# wants the whole report on the screen instead, so it asks for the decision to pass.
"$bin/ansible-playbook" -i .lab/inventory.yml playbooks/health.yml -e billmgr_health_fail_on=never \
    -e billmgr_report_dir="$PWD/reports"
echo
# The fleet summary and the hosts x findings table of the Markdown report, as the terminal's summary.
sed -n '/^## Fleet summary/,/^## Hosts$/p' reports/latest/report.md | sed '$d'
echo
echo "demo: reselling upkeep with playbooks/reselling.yml (bm05's provider is not in the inventory: read over its API)"
"$bin/ansible-playbook" -i .lab/inventory.yml playbooks/reselling.yml
echo
echo "demo: a support bundle of bm03 for the vendor's support (playbooks/support_bundle.yml, read-only)"
"$bin/ansible-playbook" -i .lab/inventory.yml playbooks/support_bundle.yml -l bm03 -e billmgr_support_bundle_since=2h
echo
cat <<MSG
demo: the reselling report is in reports/reselling/<UTC time>/reselling.md.
demo: the support bundle is in support-bundles/ (tar tzf it; manifest.json lists every file).
demo: the reports are in reports/latest/ (report.html, report.md, report.json).
demo: in production the same run fails when a host has a critical finding, so AWX turns red.
demo: the lab fleet is still running so you can look around, e.g.
        ssh -i .lab/id_ed25519 root@127.0.0.22 'licctl info billmgr; mgrctl -m billmgr whoami'
      stop it with: make lab-down
MSG
