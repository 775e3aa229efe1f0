#!/usr/bin/env bash
# The one command that sets up a fresh Debian/Ubuntu machine and runs the
# tests: Docker and Redis (scripts/setup-host.sh), `npm ci`, then `npm test`
# (typecheck, lint, import-cycle check, unit and Docker tests).
# Exits with the status of `npm test`.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=prepare.sh
source "$(dirname "${BASH_SOURCE[0]}")/prepare.sh"
npm test
