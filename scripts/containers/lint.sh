#!/usr/bin/env bash
# Cheap static checks, no container engine needed:
#  * compose file: `docker-compose config -q` (schema, interpolation, v1.29 feature set)
#  * Dockerfiles:  `dockerfile-utils lint` (npm; the linter behind VS Code's Docker
#    language server). hadolint is NOT available here: not in Debian 12, and the npm
#    "hadolint" package only downloads the binary from GitHub at run time.
#   lint.sh [-f compose.yml]... [--compose-only] [Dockerfile ...]
# With -f, every build context's Dockerfile in the compose file(s) is linted too.
# (Copied from the shared container tooling; changed: several -f files, merged.)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
files=(); compose_only=""; dockerfiles=()
while [ $# -gt 0 ]; do
  case "$1" in
    -f) files+=("$2"); shift 2;; --compose-only) compose_only=1; shift;;
    *) dockerfiles+=("$1"); shift;;
  esac
done
rc=0
if [ ${#files[@]} -gt 0 ]; then
  file="${files[*]}"
  # validates with docker-compose 1.29 after dropping (and reporting) v2-only keys
  if prepare_compose "lint-$$" "${files[@]}"; then echo "compose OK: $file"; else echo "compose INVALID: $file"; rc=1; fi
  if [ "$rc" = 0 ] && [ -z "$compose_only" ]; then
    while read -r df; do [ -n "$df" ] && dockerfiles+=("$df"); done < <(
      "$SYS_PY" "$here/compose_inspect.py" dockerfiles < "$COMPOSE_FINAL")
  fi
  rm -rf "/run/compose-recipe/lint-$$"
fi
if [ ${#dockerfiles[@]} -gt 0 ]; then
  tooldir=${STANDIN_WORKDIR:-/var/tmp/container-standins}/lint
  if [ ! -x "$tooldir/node_modules/.bin/dockerfile-utils" ]; then
    mkdir -p "$tooldir"
    npm install --silent --no-save --no-audit --no-fund --prefix "$tooldir" dockerfile-utils@0.16 >/dev/null
  fi
  for df in "${dockerfiles[@]}"; do
    if out=$("$tooldir/node_modules/.bin/dockerfile-utils" lint "$df" 2>&1); then
      echo "Dockerfile OK: $df"; [ -n "$out" ] && echo "$out"
    else
      echo "Dockerfile PROBLEMS: $df"; echo "$out"; rc=1
    fi
  done
fi
exit $rc
