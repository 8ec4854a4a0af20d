#!/usr/bin/env bash
# The dependency audit of CI: `pip-audit --strict` over every installed distribution except our
# own editable package (it is not on PyPI, and --strict fails on any package it cannot check).
#
#     scripts/dependency_audit.sh [BIN]     # BIN: the virtualenv's bin/ (default .venv/bin)
#
# Exit 0 and "dependency audit: passed" only when every package was checked and none has a
# known vulnerability; exit 1 with the report when one has. Where the advisory service cannot
# be reached, or answers for no package (pip-audit's PyPI service asks
# pypi.org/pypi/NAME/VERSION/json; a registry mirror without that route answers 404, which
# pip-audit reports as "not found on PyPI"), it prints "dependency audit: not run (why)" and
# exits 0: being offline is not a failure of the code, and it is never reported as a pass.
set -uo pipefail
BIN="${1:-.venv/bin}"
reqs="$(mktemp)"
log="$(mktemp)"
trap 'rm -f "$reqs" "$log"' EXIT

"$BIN/pip" freeze --exclude-editable > "$reqs"
packages="$(grep -c '==' "$reqs" || true)"
"$BIN/pip-audit" --strict --progress-spinner off --no-deps --disable-pip -r "$reqs" > "$log" 2>&1
status=$?
if [ "$status" -eq 0 ] && grep -q "No known vulnerabilities found" "$log"; then
    echo "dependency audit: passed (pip-audit --strict: $packages packages, no known vulnerabilities)"
    exit 0
fi
if grep -qE "Found [0-9]+ known vulnerabilit" "$log"; then
    cat "$log"
    echo "dependency audit: FAILED (known vulnerabilities above)"
    exit 1
fi
why="$(grep -m1 -E "could not be audited|ConnectionError|Max retries|Failed to resolve|timed out|Name or service not known|ServiceError" "$log" \
    | sed -E 's/^(ERROR|WARNING):[a-z_.]*://' | cut -c1-200)"
if [ -n "$why" ]; then
    echo "dependency audit: not run (the advisory service could not be used: $why)"
    exit 0
fi
cat "$log"
echo "dependency audit: FAILED (pip-audit exited $status without a result)"
exit 1
