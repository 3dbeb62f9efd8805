# shellcheck shell=bash
# Helpers sourced by compose-up.sh / compose-down.sh / lint.sh.
# Copied from the shared container tooling (tools/container, "podman recipe") so that CI,
# which runs on a fresh clone, has it; changed here: several -f files (an override on top
# of docker-compose.yml) and COMPOSE_ENV_FILE (interpolate from that file, not `.env`).

PODMAN_SOCK=${PODMAN_SOCK:-/run/podman/podman.sock}
PODMAN_SOCK_URL=unix://$PODMAN_SOCK
PODMAN_SERVICE_PIDFILE=/run/podman-recipe-service.pid
# Debian's system python has PyYAML (python3-yaml comes with docker-compose).
SYS_PY=/usr/bin/python3
RECIPE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Docker-compatible API on a unix socket (no TCP listener), for docker-compose v1.
ensure_podman_service() {
  if [ -S "$PODMAN_SOCK" ] && curl -fsS --unix-socket "$PODMAN_SOCK" http://d/_ping >/dev/null 2>&1; then
    return 0
  fi
  mkdir -p "$(dirname "$PODMAN_SOCK")"
  rm -f "$PODMAN_SOCK"
  nohup podman system service --time=0 "$PODMAN_SOCK_URL" >/var/log/podman-recipe-service.log 2>&1 &
  echo $! > "$PODMAN_SERVICE_PIDFILE"
  for _ in $(seq 1 50); do
    curl -fsS --unix-socket "$PODMAN_SOCK" http://d/_ping >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "podman system service did not come up; see /var/log/podman-recipe-service.log" >&2
  return 1
}

stop_podman_service() {
  if [ -f "$PODMAN_SERVICE_PIDFILE" ]; then
    pid=$(cat "$PODMAN_SERVICE_PIDFILE")
    if kill -0 "$pid" 2>/dev/null; then kill "$pid"; echo "podman system service (pid $pid) stopped"; fi
    rm -f "$PODMAN_SERVICE_PIDFILE" "$PODMAN_SOCK"
  fi
}

# prepare_compose PROJECT FILE...  -> sets COMPOSE_FINAL, COMPOSE_PROJECT, COMPOSE_DIR
# Makes what docker-compose 1.29 will actually run, under /run/compose-recipe/<project>/:
#  v1-N.yml   each file minus Compose-v2-only keys (each one reported: NOT verified)
#  final.yml  `docker-compose config` of them merged in order (validated, interpolated,
#             absolute paths) with every published port bound to 127.0.0.1 (no other
#             address allowed here)
# The project directory is the first file's. COMPOSE_ENV_FILE, when set, is the file
# interpolated from instead of the project directory's `.env`.
prepare_compose() {
  local project=$1; shift
  local files=("$@") out name="" line tmp i=0 f
  COMPOSE_DIR=$(cd "$(dirname "${files[0]}")" && pwd)
  tmp=$(mktemp -d)
  local merged=() bases=()
  for f in "${files[@]}"; do
    i=$((i + 1))
    out=$(COMPOSE_V1COMPAT_BASE=$(IFS=:; echo "${bases[*]}") \
      "$SYS_PY" "$RECIPE_DIR/compose_inspect.py" v1compat "$f" "$tmp/v1-$i.yml" "$COMPOSE_DIR") \
      || { echo "compose file $f rejected by docker-compose 1.29 (see above)" >&2; rm -rf "$tmp"; return 1; }
    while read -r line; do
      case "$line" in
        name=?*) [ -n "$name" ] || name=${line#name=} ;;
        dropped=*) echo "WARN: $f: docker-compose 1.29 does not know '${line#dropped=}': dropped, NOT verified" >&2 ;;
      esac
    done <<< "$out"
    merged+=(-f "v1-$i.yml")
    bases+=("$tmp/v1-$i.yml")
  done
  [ -n "$project" ] || project=$name
  [ -n "$project" ] || project=$(basename "$COMPOSE_DIR")
  COMPOSE_PROJECT=$(echo "$project" | tr 'A-Z' 'a-z' | tr -cd 'a-z0-9_-')
  local state=/run/compose-recipe/$COMPOSE_PROJECT
  rm -rf "$state"; mkdir -p "$state"; mv "$tmp"/v1-*.yml "$state/"; rm -rf "$tmp"
  ( cd "$state" && docker-compose --project-directory "$COMPOSE_DIR" $(compose_env_args) "${merged[@]}" config ) \
    > "$state/config.yml" || return 1
  "$SYS_PY" "$RECIPE_DIR/compose_inspect.py" loopback < "$state/config.yml" > "$state/final.yml" || return 1
  COMPOSE_FINAL=$state/final.yml
}

# --env-file for docker-compose when COMPOSE_ENV_FILE is set (1.29 and v2 both take it).
compose_env_args() {
  if [ -n "${COMPOSE_ENV_FILE:-}" ]; then echo "--env-file $COMPOSE_ENV_FILE"; fi
}

# Print every image the compose file needs that is not in local storage and cannot be
# built by it: service `image:`s without `build:`, and each Dockerfile's FROM images
# (stage names and ARG/--build-arg substitutions resolved). Returns 1 if any is missing.
missing_images() {   # FILE = a `docker-compose config` output (e.g. $COMPOSE_FINAL)
  local file=$1 missing=0 ref
  while read -r ref; do
    [ -n "$ref" ] || continue
    if ! podman image exists "$ref"; then
      echo "MISSING image (no registry here): $ref" >&2; missing=1
    fi
  done < <("$SYS_PY" "$RECIPE_DIR/compose_inspect.py" images < "$file")
  if [ "$missing" = 1 ]; then
    echo "Hint: make-base-images.sh builds debian:bookworm(-slim), node:24(-bookworm-slim), redis:7(-bookworm);" >&2
    echo "      EXTRA_ALPINE_TAGS=1 adds -alpine tags; anything else needs its own stand-in (podman tag X Y)." >&2
    return 1
  fi
  return 0
}
