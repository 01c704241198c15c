#!/usr/bin/env bash
# Installs Autograd Live into .venv (CPU PyTorch 2.13.0 pinned) and its browser libraries into static/vendor.
# Usage: scripts/install.sh [--dev]   (--dev adds the test and lint tools)
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$python" -m venv .venv
extra=""
[ "${1:-}" = "--dev" ] && extra="[dev]"
.venv/bin/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".${extra}"

# Browser libraries: fetched by npm at install time, served by the app itself (no Node at run time).
# No package needs its install scripts (one would only report the download): they are not run.
# --dev also needs axe-core in node_modules: the accessibility test hands it to the page (it is never served).
if [ ! -f static/vendor/swagger-ui/swagger-ui-bundle.js ] || [ package-lock.json -nt static/vendor/dagre/dagre.esm.js ] ||
  { [ -n "$extra" ] && [ ! -f node_modules/axe-core/axe.min.js ]; }; then
  npm ci --no-audit --no-fund --silent --ignore-scripts
  mkdir -p static/vendor/uplot static/vendor/dagre static/vendor/swagger-ui
  cp node_modules/uplot/dist/uPlot.esm.js node_modules/uplot/dist/uPlot.min.css node_modules/uplot/LICENSE \
    static/vendor/uplot/
  cp node_modules/@dagrejs/dagre/dist/dagre.esm.js node_modules/@dagrejs/dagre/LICENSE static/vendor/dagre/
  cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css \
    node_modules/swagger-ui-dist/LICENSE node_modules/swagger-ui-dist/NOTICE static/vendor/swagger-ui/
fi
