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

# Print a note every 20 s while a long, quiet step runs, so that set-up never looks stuck.
with_heartbeat() {
  local what="$1"
  shift
  (
    waited=0
    while sleep 1; do  # short sleeps: a killed heartbeat leaves no sleep holding stderr
      waited=$((waited + 1))
      [ $((waited % 20)) -ne 0 ] || echo "setup: still $what (${waited} s so far)" >&2
    done
  ) &
  local beat=$!
  local status=0
  "$@" || status=$?
  kill "$beat" 2>/dev/null || true
  wait "$beat" 2>/dev/null || true
  return "$status"
}

STAMP="$VENV/.hebbian-setup"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$(stamp_value)" ]; then
  pip_install() {  # pip's own progress lines, without the warnings about index folders
    "$VENV/bin/python" -m pip install --disable-pip-version-check --progress-bar off "$@" 2>&1 \
      | { grep -v "is ignored: it is neither a file nor a directory" || true; } \
      | sed -u 's/^/  pip: /' >&2
    return "${PIPESTATUS[0]}"
  }
  echo "setup: [1/2] installing $TORCH_SPEC into $VENV (the largest package; about a minute)" >&2
  with_heartbeat "installing $TORCH_SPEC" pip_install "$TORCH_SPEC"
  # before 0.1.0 the distribution was called "hebbian" (another project's name on PyPI):
  # an editable install of this checkout under that name goes, so one copy stays
  if "$VENV/bin/python" -m pip show hebbian 2>/dev/null | grep -qx "Editable project location: $ROOT"; then
    echo "setup: removing this checkout's old distribution name 'hebbian' (now hebbian-torch)" >&2
    "$VENV/bin/python" -m pip uninstall -y -q hebbian >&2
  fi
  echo "setup: [2/2] installing the hebbian package with its test dependencies" >&2
  with_heartbeat "installing hebbian and its dependencies" pip_install -e "$ROOT[test]"
  stamp_value > "$STAMP"
  echo "setup: done; $VENV is ready" >&2
else
  echo "setup: reusing $VENV" >&2
fi

# The tests open the tour page in a headless browser: Debian's chromium.
# HEBBIAN_NO_BROWSER=1 skips it (scripts/gpu-check.sh needs no browser).
if command -v chromium >/dev/null || command -v chromium-browser >/dev/null \
    || [ -n "${HEBBIAN_NO_BROWSER:-}" ]; then
  :
elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "setup: installing chromium with apt-get (the headless browser of the tests)" >&2
  if ! with_heartbeat "installing chromium" \
      sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium' \
      >/dev/null; then
    echo "setup: apt-get could not install chromium; skipping it (install it later for the browser test)" >&2
  fi
else
  echo "setup: skipping chromium (the tests' headless browser): installing it needs root and apt-get" >&2
fi
export PATH="$VENV/bin:$PATH"
