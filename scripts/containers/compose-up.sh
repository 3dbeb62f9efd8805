#!/usr/bin/env bash
# Bring a compose project up on rootful podman, then wait until every container is
# running and every healthcheck is healthy.
#   compose-up.sh [-f compose.yml]... [-p project] [-t timeout_s] [-- extra `up` args]
# (Copied from the shared container tooling; changed: several -f files, merged in
# order as Compose does, COMPOSE_ENV_FILE, see lib.sh, and the build passes VERSION.)
# The file may use Compose v2 syntax: keys that docker-compose 1.29 rejects are dropped
# with a warning (top-level `name:` still names the project), and every published port
# is rebound to 127.0.0.1. What ran is kept in /run/compose-recipe/<project>/final.yml.
# Env: ENGINE=docker-compose (default: Debian's v1.29 talking to `podman system
#      service` via DOCKER_HOST) or ENGINE=podman-compose (1.0.3; ignores
#      depends_on conditions, see README). NO_BUILD=1 skips --build.
# Undo with compose-down.sh (same -f/-p). Needs setup-podman.sh + make-base-images.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
files=(); project=""; timeout=180
while [ $# -gt 0 ]; do
  case "$1" in
    -f) files+=("$2"); shift 2;; -p) project=$2; shift 2;; -t) timeout=$2; shift 2;;
    --) shift; break;; *) echo "unknown arg $1" >&2; exit 2;;
  esac
done
[ ${#files[@]} -gt 0 ] || files=(compose.yml)
for file in "${files[@]}"; do [ -f "$file" ] || { echo "no compose file $file" >&2; exit 2; }; done
engine=${ENGINE:-docker-compose}
t0=$(date +%s)
log() { echo "== [$(( $(date +%s) - t0 ))s] $*"; }

source "$here/lib.sh"
log "preflight: docker-compose 1.29 config, loopback ports, local base images"
prepare_compose "$project" "${files[@]}"
project=$COMPOSE_PROJECT
missing_images "$COMPOSE_FINAL" || exit 1
ensure_podman_service
export DOCKER_HOST=$PODMAN_SOCK_URL COMPOSE_DOCKER_CLI_BUILD=0 DOCKER_BUILDKIT=0

"$here/health-ticker.sh" start >/dev/null

# buildah 1.28 (Debian 12) reuses a cached layer for `ARG X` + `ENV X=$X` even when
# --build-arg X differs (buildah issues #5095/#5575): two services built from one
# Dockerfile with different args silently get the SAME image. So build without the
# layer cache unless BUILD_CACHE=1.
nocache=(--no-cache); [ -n "${BUILD_CACHE:-}" ] && nocache=()
case "$engine" in
  docker-compose) dc=(docker-compose --project-directory "$COMPOSE_DIR" -p "$project" -f "$COMPOSE_FINAL") ;;
  podman-compose) dc=(podman-compose -p "$project" -f "$COMPOSE_FINAL") ;;
  *) echo "ENGINE must be docker-compose or podman-compose" >&2; exit 2;;
esac
if [ -z "${NO_BUILD:-}" ]; then
  log "$engine build ${nocache[*]}"
  # (smtp-relay change: the image's version label, README "Versions and image tags".)
  version=$(cd "$COMPOSE_DIR" && node -p "require('./package.json').version")
  "${dc[@]}" build "${nocache[@]}" --build-arg VERSION="$version" \
    --build-arg REVISION="$(git -C "$COMPOSE_DIR" rev-parse HEAD 2>/dev/null || echo unknown)"
fi
log "$engine up -d (project $project)"
# podman 4 can fail `up` when a one-shot container (redis-password) exits while it
# reads that process's cgroup ("read /proc/N/cgroup: no such process"): a race in the
# engine, not in the project. One more `up` converges; any other failure stands.
up_err=$(mktemp)
if ! "${dc[@]}" up -d --no-build "$@" 2>"$up_err"; then
  cat "$up_err" >&2
  grep -q 'cgroup: no such process' "$up_err" || { rm -f "$up_err"; exit 1; }
  log "podman lost a one-shot container's cgroup while starting it; running up once more"
  "${dc[@]}" up -d --no-build "$@"
else
  cat "$up_err" >&2
fi
rm -f "$up_err"

log "waiting (max ${timeout}s) for containers to be running and healthy"
deadline=$(( $(date +%s) + timeout ))
while :; do
  # name|status|health|exitcode  (health empty when the container has no healthcheck);
  # a one-shot service that exited 0 counts as done
  states=$(podman ps -aq --filter "label=com.docker.compose.project=$project" | xargs -r podman inspect \
             --format '{{.Name}}|{{.State.Status}}|{{if .State.Health}}{{.State.Health.Status}}{{end}}|{{.State.ExitCode}}')
  bad=$(echo "$states" | grep -E '\|(exited|stopped)\|[a-z]*\|[1-9][0-9]*$|\|dead\||\|unhealthy\|' || true)
  pending=$(echo "$states" | grep -vE '^$|\|running\|(healthy)?\||\|(exited|stopped)\|[a-z]*\|0$' || true)
  if [ -n "$bad" ]; then
    log "FAILED: $(echo "$bad" | tr '\n' ' ')"; podman ps -a --filter "label=com.docker.compose.project=$project"
    for c in $(echo "$bad" | cut -d'|' -f1); do echo "--- logs $c"; podman logs --tail 30 "$c" 2>&1; done
    exit 1
  fi
  if [ -n "$states" ] && [ -z "$pending" ]; then break; fi
  if [ "$(date +%s)" -ge "$deadline" ]; then log "TIMEOUT"; echo "$states"; exit 1; fi
  sleep 1
done
log "up:"
podman ps --filter "label=com.docker.compose.project=$project" --format '  {{.Names}}\t{{.Status}}\t{{.Ports}}'
