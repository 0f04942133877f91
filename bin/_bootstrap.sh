# Sourced by bin/demo and bin/test: find Python >= 3.12 and keep .venv in step with
# pyproject.toml. Installs everything the project needs; nothing is assumed present.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv"

python_ok() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; }

find_python() {
  local wanted candidate
  wanted="$(cat .python-version 2>/dev/null || true)"
  # pyenv's interpreter named in .python-version first, then whatever is on PATH.
  for candidate in \
    "${PYENV_ROOT:-$HOME/.pyenv}/versions/$wanted/bin/python3" \
    "$(command -v "python$wanted" || true)" \
    "$(command -v python3.13 || true)" "$(command -v python3.12 || true)" \
    "$(command -v python3 || true)"; do
    if [ -n "$candidate" ] && [ -x "$candidate" ] && python_ok "$candidate"; then
      echo "$candidate"; return 0
    fi
  done
  if command -v pyenv >/dev/null && [ -n "$wanted" ]; then
    pyenv install --skip-existing "$wanted" >&2 && echo "$(pyenv root)/versions/$wanted/bin/python3" && return 0
  fi
  echo "Markbook needs Python 3.12 or newer (Django 6.1); none found. Install Python $wanted (pyenv install $wanted)." >&2
  return 1
}

ensure_venv() {
  local stamp="$VENV/.markbook-installed" want
  want="$(sha256sum pyproject.toml | cut -c1-16)"
  if [ ! -x "$VENV/bin/python" ] || ! python_ok "$VENV/bin/python"; then
    rm -rf "$VENV"
    "$(find_python)" -m venv "$VENV"
  fi
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "Installing Markbook and its dependencies into .venv ..." >&2
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e ".[dev,production]"
    echo "$want" > "$stamp"
  fi
  export PATH="$VENV/bin:$PATH"
}

apt_install() {
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "Installing Debian packages: $* ..." >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

# Node.js and npm: the front-end files (both commands) and the sign-in tests' provider.
ensure_node() {
  command -v node >/dev/null && command -v npm >/dev/null || apt_install nodejs npm
}

# Debian packages the tests need (browser tests drive Debian's chromium).
ensure_debian_packages() {
  ensure_node
  [ -x /usr/bin/chromium ] || apt_install chromium fonts-dejavu-core
  ensure_pango
}

# WeasyPrint (the published service register and consent state) draws text with pango.
ensure_pango() {
  dpkg -s libpango-1.0-0 libpangoft2-1.0-0 >/dev/null 2>&1 \
    || apt_install libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core
}

# Front-end files from npm (package.json, exactly as package-lock.json says; never a CDN):
# `npm run build` copies the files named in package.json's "static" map into build/static,
# which Django serves at /static/. Redone when either file changes or the folder is gone.
ensure_front_end() {
  local stamp="$ROOT/build/static/.markbook-built" want
  want="$(cat package.json package-lock.json | sha256sum | cut -c1-16)"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "Installing the front-end files (npm ci, npm run build) ..." >&2
    npm ci --ignore-scripts --no-audit --no-fund --silent
    npm run --silent build >/dev/null
    echo "$want" > "$stamp"
  fi
}

# Node packages the tests need: the local OpenID Connect provider of the sign-in tests
# (tests/oidc, ACC-1), installed exactly from its package-lock.json.
ensure_node_packages() {
  local dir="$ROOT/tests/oidc" stamp want
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "The sign-in tests need Node.js 20 or newer with npm (apt-get install nodejs npm)." >&2
    return 1
  fi
  stamp="$dir/node_modules/.markbook-installed"
  want="$(sha256sum "$dir/package-lock.json" | cut -c1-16)"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "Installing the test OpenID Connect provider (npm ci in tests/oidc) ..." >&2
    (cd "$dir" && npm ci --no-audit --no-fund --silent)
    echo "$want" > "$stamp"
  fi
}
