#!/usr/bin/env bash
# The one command that sets up a fresh Debian/Ubuntu machine and starts
# swe-bot: Docker and Redis (scripts/setup-host.sh), `npm ci`, then
# `npm start` (`swe-bot serve`), which replaces this shell.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=prepare.sh
source "$(dirname "${BASH_SOURCE[0]}")/prepare.sh"
exec npm start
