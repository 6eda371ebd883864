#!/usr/bin/env bash
# Quick start, command 2: set everything up and run the whole test suite (lint,
# unit tests and the doctests in src/). Extra arguments go to pytest.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$ROOT"
ruff check .
ruff format --check .
python -m pytest "$@"
