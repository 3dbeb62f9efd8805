#!/usr/bin/env bash
# Tear down what compose-up.sh started: the project's containers, networks and
# anonymous volumes; then the health ticker and the podman API service, unless other
# compose projects are still running (KEEP_SERVICES=1 keeps them regardless).
#   compose-down.sh [-f compose.yml]... [-p project]
# (Copied from the shared container tooling; changed: several -f files.)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
files=(); project=""
while [ $# -gt 0 ]; do
  case "$1" in -f) files+=("$2"); shift 2;; -p) project=$2; shift 2;; *) echo "unknown arg $1" >&2; exit 2;; esac
done
[ ${#files[@]} -gt 0 ] || files=(compose.yml)
source "$here/lib.sh"
if [ -z "$project" ]; then prepare_compose "" "${files[@]}" 2>/dev/null; project=$COMPOSE_PROJECT; fi
final=/run/compose-recipe/$project/final.yml
[ -f "$final" ] || { prepare_compose "$project" "${files[@]}"; final=$COMPOSE_FINAL; }
dir=$(cd "$(dirname "${files[0]}")" && pwd)
engine=${ENGINE:-docker-compose}
if [ "$engine" = podman-compose ]; then
  # 1.0.3 removes containers without their anonymous volumes: remove them first, with -v
  ids=$(podman ps -aq --filter "label=com.docker.compose.project=$project")
  [ -z "$ids" ] || podman rm -f -v $ids >/dev/null
  podman-compose -p "$project" -f "$final" down -v >/dev/null || true
else
  ensure_podman_service
  DOCKER_HOST=$PODMAN_SOCK_URL docker-compose --project-directory "$dir" -p "$project" -f "$final" down -v --remove-orphans || true
fi
# belt and braces (podman-compose 1.0.3 leaves networks and anonymous volumes behind):
# containers (with their anonymous volumes), networks and volumes labelled with the project
ids=$(podman ps -aq --filter "label=com.docker.compose.project=$project")
[ -z "$ids" ] || podman rm -f -v $ids >/dev/null
nets=$(podman network ls -q --filter "label=com.docker.compose.project=$project")
[ -z "$nets" ] || podman network rm $nets >/dev/null
vols=$(podman volume ls -q --filter "label=com.docker.compose.project=$project")
[ -z "$vols" ] || podman volume rm $vols >/dev/null
# dangling intermediate images of --no-cache builds (keep them with BUILD_CACHE=1)
[ -n "${BUILD_CACHE:-}" ] || podman image prune -f >/dev/null
rm -rf "/run/compose-recipe/$project"
if [ -z "${KEEP_SERVICES:-}" ] && [ -z "$(podman ps -q)" ]; then
  "$here/health-ticker.sh" stop
  stop_podman_service
fi
podman ps -a --format '{{.Names}} {{.Status}}'
