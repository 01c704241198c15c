#!/usr/bin/env bash
# Installs Autograd Live with its test tools, then runs ruff, mypy and the whole pytest suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh --dev
.venv/bin/ruff check app tests bench
.venv/bin/ruff format --check app tests bench
.venv/bin/mypy
.venv/bin/python -m pytest "$@"
