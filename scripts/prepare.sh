# shellcheck shell=bash
# Sourced by scripts/test.sh and scripts/start.sh (not run on its own): sets
# up the host, installs the project's dependencies and sets the defaults both
# need. Leaves the shell in the repository root.
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit

bash scripts/setup-host.sh

readonly HOST_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt
if [[ -f "$HOST_CA_BUNDLE" ]]; then
  # swe-bot's images must trust what this host trusts: behind a TLS-inspecting
  # proxy (common in companies) the npm and PyPI installs inside the images
  # otherwise fail certificate checks, because the proxy's CA lives only in
  # the host's store. The base images add this bundle to their own store.
  export SWE_BOT_EXTRA_CA_CERTS="${SWE_BOT_EXTRA_CA_CERTS:-$HOST_CA_BUNDLE}"
  # The same for npm itself here and for the Node 24 it installs, which ship
  # their own CA list and ignore the host's store.
  export NODE_EXTRA_CA_CERTS="${NODE_EXTRA_CA_CERTS:-$HOST_CA_BUNDLE}"
fi

# The lock file pins everything, Node 24 included (the `node` devDependency
# puts it first on PATH inside npm scripts), whatever Node the host has.
# Some registry mirrors lack the platform builds of optional dependencies
# (msgpackr-extract for macOS/Windows); a lock file regenerated behind one
# then misses their entries and `npm ci` refuses it. `npm install` honours
# the locked versions and tolerates that.
if ! npm ci --no-audit --no-fund; then
  echo "prepare: npm ci failed; retrying with npm install (keeps the locked versions)" >&2
  npm install --no-audit --no-fund
fi
