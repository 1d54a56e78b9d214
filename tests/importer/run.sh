#!/usr/bin/env bash
# galaxy-importer, as Galaxy runs it on an upload, on the tarball `make dist` built: the import must
# succeed with no error and no warning, and its own ansible-lint run must find nothing.
# Usage: tests/importer/run.sh <importer venv> <directory holding billmgr-ops-*.tar.gz>
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv=$(cd "$1" && pwd)
dist=$(cd "$2" && pwd)
out=$(mktemp -d /tmp/billmgr-ops-importer.XXXXXX)
trap 'rm -rf "$out"' EXIT
# Settings by environment only: nothing is read from /etc or the home directory.
export GALAXY_IMPORTER_CONFIG=/dev/null
export GALAXY_IMPORTER_ANSIBLE_LOCAL_TMP=$out/tmp
export GALAXY_IMPORTER_TMP_ROOT_DIR=$out
export GALAXY_IMPORTER_LOG_LEVEL_MAIN=INFO
export GALAXY_IMPORTER_RUN_ANSIBLE_TEST=false
export PATH="$venv/bin:$PATH"
status=0
# It writes importer_result.json into the directory it runs in.
cd "$out"
"$venv/bin/python" "$here/galaxy_import.py" "$dist"/billmgr-ops-*.tar.gz >"$out/log" 2>&1 || status=$?
# The importer reports problems as log lines; a warning is a finding for a user too.
if [ "$status" -ne 0 ] || grep -E '^(ERROR|WARNING)|Traceback' "$out/log" >/dev/null; then
    cat "$out/log" >&2
    echo "importer: galaxy-importer found problems in the tarball (exit $status)" >&2
    exit 1
fi
grep -E '^(Importing|Collection loading|Finished)' "$out/log" || true
echo "importer: the tarball imports cleanly"
