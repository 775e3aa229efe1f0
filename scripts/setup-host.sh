#!/usr/bin/env bash
# Prepares a Debian or Ubuntu machine to run swe-bot and its tests:
#   - installs the missing commands with apt-get (docker.io, redis-server, git,
#     debootstrap, ca-certificates, curl; nodejs and npm only when node or npm
#     is missing: npm then installs Node 24 as the project's dependency);
#   - starts a Docker engine when none answers (dockerd --bridge=none
#     --iptables=false; swe-bot's containers use no network and its image
#     builds use the host's), unless DOCKER_HOST points at another machine;
#   - starts Redis on 127.0.0.1:6379 when none answers there (REDIS_URL unset).
# Idempotent: what already runs is left alone, and a second run does nothing.
# Needs root for what it has to do; it re-runs itself through sudo when it is
# not root and sudo exists. SWE_BOT_SKIP_HOST_SETUP=1 turns it into a no-op.
set -euo pipefail

readonly DOCKERD_LOG=/var/log/swe-bot-dockerd.log
readonly REDIS_LOG=/var/log/swe-bot-redis.log
readonly DEFAULT_DOCKER_HOST=unix:///var/run/docker.sock
readonly DOCKERD_PIDFILE=/var/run/docker.pid
readonly WAIT_SECONDS=60

say() { printf 'setup-host: %s\n' "$*"; }
die() {
  printf 'setup-host: error: %s\n' "$*" >&2
  exit 1
}

if [[ "${SWE_BOT_SKIP_HOST_SETUP:-}" == 1 ]]; then
  say "skipped (SWE_BOT_SKIP_HOST_SETUP=1)"
  exit 0
fi

# dockerd, debootstrap and update-ca-certificates live in sbin, which is not
# on an ordinary user's PATH.
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

have() { command -v "$1" >/dev/null 2>&1; }

# The Debian packages whose commands are missing, one per line.
missing_packages() {
  local entry
  for entry in docker:docker.io dockerd:docker.io redis-server:redis-server redis-cli:redis-server \
    git:git debootstrap:debootstrap update-ca-certificates:ca-certificates curl:curl; do
    have "${entry%%:*}" || echo "${entry#*:}"
  done
  if ! have node || ! have npm; then
    echo nodejs
    echo npm
  fi
}

# True when the engine to use is this machine's default one, which this script
# may start; any other DOCKER_HOST (tcp://, ssh://, another socket) is the
# user's own engine and is only checked.
local_engine() { [[ -z "${DOCKER_HOST:-}" || "$DOCKER_HOST" == "$DEFAULT_DOCKER_HOST" ]]; }

docker_answers() { have docker && timeout 20 docker info >/dev/null 2>&1; }

redis_answers() {
  have redis-cli && [[ "$(timeout 5 redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" == PONG ]]
}

# Re-runs this script as root through sudo, passing on the variables it reads
# (and the proxy settings apt-get needs), which sudo would otherwise drop.
become_root() {
  local reason=$1 name
  local -a vars=()
  have sudo || die "must run as root to $reason; run it as root (or set SWE_BOT_SKIP_HOST_SETUP=1 on a machine managed otherwise)"
  for name in DOCKER_HOST REDIS_URL http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY; do
    if [[ -n "${!name+set}" ]]; then vars+=("$name=${!name}"); fi
  done
  say "running as root through sudo to $reason"
  exec sudo env "${vars[@]}" bash "${BASH_SOURCE[0]}"
}

install_packages() {
  local -a packages=("$@")
  if ((${#packages[@]} == 0)); then
    say "packages: every command needed is present"
    return
  fi
  say "packages: installing ${packages[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=300 update -qq
  apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
  say "packages: installed ${packages[*]}"
}

# The pid of a dockerd that runs already (it may still be starting), if any.
running_dockerd() {
  local pid
  if [[ -s "$DOCKERD_PIDFILE" ]]; then
    pid=$(<"$DOCKERD_PIDFILE")
    if kill -0 "$pid" 2>/dev/null; then
      echo "$pid"
      return 0
    fi
    # Left by an engine that died (or by a container restart): dockerd refuses
    # to start while it exists.
    rm -f "$DOCKERD_PIDFILE"
    say "docker: removed the stale pid file $DOCKERD_PIDFILE"
  fi
  have pidof && pidof -s dockerd
}

ensure_docker() {
  local where=${DOCKER_HOST:-$DEFAULT_DOCKER_HOST} pid started=0
  if docker_answers; then
    say "docker: engine answers at $where (server $(docker version --format '{{.Server.Version}}' 2>/dev/null || echo '?'))"
    return
  fi
  local_engine || die "docker: DOCKER_HOST=$DOCKER_HOST does not answer (docker info fails); start that engine, or unset DOCKER_HOST to use a local one"
  if pid=$(running_dockerd); then
    say "docker: dockerd (pid $pid) runs but does not answer yet; waiting"
  else
    mkdir -p "$(dirname "$DOCKERD_LOG")"
    setsid nohup dockerd --bridge=none --iptables=false >>"$DOCKERD_LOG" 2>&1 </dev/null &
    pid=$!
    started=1
    say "docker: started dockerd --bridge=none --iptables=false (pid $pid, log $DOCKERD_LOG)"
  fi
  local waited
  for ((waited = 0; waited < WAIT_SECONDS; waited++)); do
    if docker_answers; then
      say "docker: engine answers at $where after ${waited}s"
      return
    fi
    if ((started)) && ! kill -0 "$pid" 2>/dev/null; then
      tail -n 20 "$DOCKERD_LOG" >&2 || true
      die "docker: dockerd exited during start-up; see $DOCKERD_LOG"
    fi
    sleep 1
  done
  die "docker: the engine at $where did not answer within ${WAIT_SECONDS}s; see $DOCKERD_LOG"
}

ensure_redis() {
  if [[ -n "${REDIS_URL:-}" ]]; then
    # The user's own server: checked, never started here. (-u takes the URL.)
    if [[ "$(timeout 5 redis-cli -u "$REDIS_URL" ping 2>/dev/null)" == PONG ]]; then
      say "redis: REDIS_URL answers"
    else
      say "redis: warning: REDIS_URL is set but does not answer PING; not starting a local server"
    fi
    return
  fi
  if redis_answers; then
    say "redis: answers at 127.0.0.1:6379"
    return
  fi
  mkdir -p "$(dirname "$REDIS_LOG")"
  # A queue store for tests and development: no snapshots, no append-only file.
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no \
    --dir /tmp --logfile "$REDIS_LOG"
  say "redis: started redis-server on 127.0.0.1:6379 (log $REDIS_LOG)"
  local waited
  for ((waited = 0; waited < 20; waited++)); do
    if redis_answers; then
      say "redis: answers PONG"
      return
    fi
    sleep 1
  done
  die "redis: no PONG from 127.0.0.1:6379 within 20s; see $REDIS_LOG"
}

# When sudo ran this for someone else, that user must reach the engine too.
check_invoking_user() {
  local user=${SUDO_USER:-}
  [[ -n "$user" && "$user" != root ]] || return 0
  if ! sudo -u "$user" env ${DOCKER_HOST:+DOCKER_HOST="$DOCKER_HOST"} docker info >/dev/null 2>&1; then
    say "docker: warning: $user cannot use the engine; add it to the docker group (usermod -aG docker $user) and log in again"
  fi
}

main() {
  local -a packages
  mapfile -t packages < <(missing_packages | sort -u)
  local reason=""
  if ((${#packages[@]})); then
    reason="install ${packages[*]}"
  elif local_engine && ! docker_answers; then
    reason="start the Docker engine"
    if [[ -S "${DEFAULT_DOCKER_HOST#unix://}" && ! -w "${DEFAULT_DOCKER_HOST#unix://}" ]]; then
      reason="reach the Docker engine (or add $(id -un) to the docker group)"
    fi
  elif [[ -z "${REDIS_URL:-}" ]] && ! redis_answers; then
    reason="start Redis"
  fi
  if [[ -n "$reason" && $EUID -ne 0 ]]; then become_root "$reason"; fi

  install_packages "${packages[@]}"
  ensure_docker
  ensure_redis
  check_invoking_user
}

main "$@"
