#!/usr/bin/env bash
# Quick start, command 1: set everything up and run the tour of every model on
# embedded data. Writes runs/tour/index.html (extra arguments go to `hebbian tour`).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$ROOT"
hebbian tour "$@"
# the environment is active only inside this script: say how to call hebbian afterwards
echo "next: source ${VENV#"$ROOT"/}/bin/activate, then hebbian list, hebbian run RECIPE --help" \
  "(or call ${VENV#"$ROOT"/}/bin/hebbian without activating)" >&2
