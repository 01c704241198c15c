#!/usr/bin/env bash
# Installs Autograd Live and serves it on http://127.0.0.1:8000 (pass --host/--port to change).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh
exec .venv/bin/python -m app "$@"
