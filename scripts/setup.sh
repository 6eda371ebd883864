# shellcheck shell=bash
# Sourced by scripts/tour.sh and scripts/test.sh: create the virtual environment and
# install the package with its test dependencies, once. Running it again reuses the
# environment; it reinstalls only when pyproject.toml or the torch requirement changed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${HEBBIAN_VENV:-$ROOT/.venv}"
# PyTorch is installed first and pinned: on this project's machines `torch==2.13.0`
# is a CPU wheel on disk, while a bare `torch` would pull a multi-GB CUDA build.
TORCH_SPEC="${HEBBIAN_TORCH:-torch==2.13.0}"
PYTHON="${PYTHON:-python3}"

stamp_value() {
  { cat "$ROOT/pyproject.toml"; echo "$TORCH_SPEC"; } | sha256sum | cut -d' ' -f1
}

if [ ! -x "$VENV/bin/python" ]; then
  echo "setup: creating $VENV" >&2
  if ! "$PYTHON" -m venv "$VENV" 2>/dev/null; then
    rm -rf "$VENV"
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      echo "setup: installing python3-venv with apt-get" >&2
      apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
      "$PYTHON" -m venv "$VENV"
    else
      echo "setup: '$PYTHON -m venv' failed; install python3-venv (apt-get install python3-venv)" >&2
      exit 1
    fi
  fi
fi

STAMP="$VENV/.hebbian-setup"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$(stamp_value)" ]; then
  echo "setup: installing $TORCH_SPEC and the hebbian package into $VENV" >&2
  pip_install() {  # hide the warnings about index folders this machine's pip config names
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$@" 2>&1 \
      | { grep -v "is ignored: it is neither a file nor a directory" || true; }
  }
  pip_install "$TORCH_SPEC"
  pip_install -e "$ROOT[test]"
  stamp_value > "$STAMP"
else
  echo "setup: reusing $VENV" >&2
fi
export PATH="$VENV/bin:$PATH"
