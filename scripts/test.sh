#!/usr/bin/env bash
# Quick start, command 2: set everything up and run the whole test suite: lint (ruff,
# with the numpydoc docstring rules), formatting, the type checker (mypy over src/),
# then the unit tests and the doctests in src/. Extra arguments go to pytest.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$ROOT"
ruff check .
ruff format --check .
mypy
python -m pytest "$@"
