#!/bin/sh
# Set up valuegrad in ./.venv on a Debian-like machine.
#   sh bootstrap.sh        the library and the `valuegrad` command
#   sh bootstrap.sh dev    plus the test tools, the notebook runner, PyTorch (CPU) and a
#                          headless browser
# System packages (the Graphviz `dot` program, Python's venv module and, for `dev`,
# Chromium for the browser tests) are installed with apt-get where they are missing;
# elsewhere the script says what to install.
set -eu
cd "$(dirname "$0")"

case "${1:-}" in
  "") extras="" ;;
  dev) extras="[dev,notebooks]" ;;
  *) echo "bootstrap.sh: unknown argument '$1' (use nothing or 'dev')" >&2; exit 2 ;;
esac

if ! command -v python3 >/dev/null 2>&1; then
  echo "bootstrap.sh: python3 (3.10 or newer) is required" >&2; exit 1
fi
if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 10))'; then
  echo "bootstrap.sh: Python 3.10 or newer is required, found $(python3 --version 2>&1)" >&2; exit 1
fi

missing=""
command -v dot >/dev/null 2>&1 || missing="$missing graphviz"
if [ -n "$extras" ] && ! command -v chromium >/dev/null 2>&1; then
  missing="$missing chromium"  # the browser tests drive Debian's Chromium with Playwright
fi
if [ ! -x .venv/bin/python ] && ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
  missing="$missing python3-venv"
fi
if [ -n "$missing" ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && sudo="sudo"
  if command -v apt-get >/dev/null 2>&1; then
    echo "bootstrap.sh: installing$missing with apt-get"
    $sudo apt-get update -qq
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing >/dev/null
  else
    echo "bootstrap.sh: please install$missing with your system's package manager" >&2
    echo "  (Graphviz, which provides the 'dot' program: https://graphviz.org/download/;" >&2
    echo "  chromium, the browser the tests drive, is needed for 'dev' only)" >&2
    exit 1
  fi
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".$extras"
if [ "${1:-}" = dev ]; then
  # PyTorch, for the tests of MLP.to_torch / MLP.from_torch (nn stays usable without it).
  # Pinned to one exact release, here rather than in the dev extra (a plain
  # `pip install -e '.[dev]'` should not pull in torch). Where pip finds a local CPU-only
  # wheel of exactly this version (a find-links directory), it takes it: its "+cpu" label
  # sorts above the package index's build of the same release. Otherwise it takes PyPI's
  # Linux wheel, the CUDA build, several GB with its dependencies; to avoid that on such
  # a machine, install a CPU build first (pip install torch==2.13.0 --index-url
  # https://download.pytorch.org/whl/cpu) and this line then finds it installed.
  .venv/bin/python -m pip install --quiet --disable-pip-version-check "torch==2.13.0"
fi
echo "bootstrap.sh: ready (.venv)"
