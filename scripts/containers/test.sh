#!/usr/bin/env bash
# npm run test:containers: the Docker deliverables for real, on rootful podman with
# docker-compose 1.29 (this machine has no Docker engine and no registry but npm's and
# Debian's; see README.md in this folder). Builds infra/Dockerfile through
# docker-compose.yml, brings the project up with the demo smart host swapped for a local
# capture host (infra/compose/demo-smarthost.override.yml, as Mailpit cannot be pulled),
# sends mail through the published ingress port on 127.0.0.1, sees it delivered, scales
# the senders to 2, recreates every container with mail queued, stops and tears down.
# Also the hardening of docs/adr/001: no capabilities, no-new-privileges, Redis behind
# its generated password, and SMTP_RELAY_NETWORKS=container-bridges trusting the bridge
# only while SMTP is published on loopback.
# Prints each check; stops at the first failure with the containers' logs.
# Run as root (it installs podman & co on first use). Env: KEEP_UP=1 leaves the project
# running; BUILD_CACHE= (empty) builds without the layer cache.
set -Eeuo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cd "$repo"
project=smtp-relay-containers-test
compose_files=(docker-compose.yml infra/compose/demo-smarthost.override.yml)
files=(-f docker-compose.yml -f infra/compose/demo-smarthost.override.yml)
t0=$(date +%s)
state=$(mktemp -d)
step() { echo; echo "== [$(($(date +%s) - t0))s] $*"; }
passed=0
ok() { echo "  ok  $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*" >&2; exit 1; }
has() { grep -qE "$1" <<< "$2"; } # PATTERN TEXT (no pipe: `cmd | grep -q` can fail on SIGPIPE)

# The defaults of docker-compose.yml, not whatever this shell or a `.env` sets; only the
# host ports differ (free ones, as 2525/8080/8025 may be taken on a shared machine).
for name in $(grep -ohE '\$\{[A-Z0-9_]+' docker-compose.yml infra/compose/*.yml | cut -c3- | sort -u); do
  unset "$name"
done
free_port() {
  node -e 'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })'
}
: > "$state/defaults.env"
export COMPOSE_ENV_FILE=$state/test.env
export BUILD_CACHE=${BUILD_CACHE-1} # infra/Dockerfile's only ARGs feed its last LABEL (README pitfall 6)

dc() {
  DOCKER_HOST=unix:///run/podman/podman.sock docker-compose --project-directory "$repo" \
    -p "$project" -f "/run/compose-recipe/$project/final.yml" "$@"
}
containers() { # SERVICE -> container ids
  podman ps -q --filter "label=com.docker.compose.project=$project" \
    --filter "label=com.docker.compose.service=$1"
}
one() { # SERVICE -> the single container id
  local ids; ids=$(containers "$1")
  [ "$(echo "$ids" | grep -c .)" = 1 ] || fail "expected one $1 container, found: ${ids:-none}"
  echo "$ids"
}
name_of() { podman inspect --format '{{.Name}}' "$1"; }
redis_cli() { # ARGS -> redis-cli in the redis container, with the generated password
  podman exec -e REDISCLI_AUTH="$(podman exec "$redis" cat /run/redis-auth/password)" "$redis" redis-cli "$@"
}
rcpt_reply() { # CONTAINER HOST -> the reply to RCPT TO:<victim@example.com> from CONTAINER to HOST:2525
  podman exec -e TARGET="$2" "$1" node -e '
const socket = require("node:net").connect(2525, process.env.TARGET);
const commands = ["EHLO outsider.test", "MAIL FROM:<x@outsider.test>", "RCPT TO:<victim@example.com>"];
let text = "";
let sent = 0;
socket.on("data", (chunk) => {
  text += chunk;
  const replies = text.match(/^\d{3} [^\r\n]*\r\n/gm) ?? [];
  if (replies.length > commands.length) {
    if (!socket.writableEnded) socket.end("QUIT\r\n");
    console.log(replies[commands.length].trim());
    process.exit(0);
  } else if (replies.length > sent) socket.write(commands[sent++] + "\r\n");
});
setTimeout(() => { console.log("no answer: " + text); process.exit(1); }, 5000).unref();
'
}
ip_of() { podman inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$1"; }
mail() {
  node e2e/containers/mail-flow.ts "$@" --state "$state/$label.json" \
    --smtp "127.0.0.1:$smtp_port" --web "http://127.0.0.1:$web_port"
}

dump() {
  command -v podman > /dev/null || return 0
  [ ! -e "$state/dumped" ] || return 0
  : > "$state/dumped"
  echo; echo "FAILED after $(($(date +%s) - t0))s; containers and their last logs:" >&2
  podman ps -a --filter "label=com.docker.compose.project=$project" \
    --format '{{.Names}} {{.Status}}' >&2 || true
  for id in $(podman ps -aq --filter "label=com.docker.compose.project=$project"); do
    echo "--- $(name_of "$id")" >&2
    podman logs --tail 25 "$id" >&2 2>&1 || true
  done
}
cleanup() {
  local rc=$?
  [ "$rc" = 0 ] || dump
  podman rm -f readonly-check-ingress readonly-check-sender lan-check-ingress >/dev/null 2>&1 || true
  if [ -z "${KEEP_UP:-}" ] && [ ! -e "$state/down" ]; then
    bash "$here/compose-down.sh" "${files[@]}" -p "$project" >/dev/null 2>&1 || true
  fi
  rm -rf "$state"
  [ "$rc" = 0 ] || echo "test:containers: $passed passed, 1 failed"
}
trap cleanup EXIT

step "setup: podman + docker-compose 1.29 (setup-podman.sh), stand-in base images (make-base-images.sh)"
[ "$(id -u)" = 0 ] || fail "run as root: rootful podman is installed and configured on first use"
[ "$(node -p 'process.versions.node.split(".")[0]')" -ge 24 ] || fail "needs Node.js 24 on the PATH"
smtp_port=$(free_port); admin_port=$(free_port); web_port=$(free_port)
printf '%s\n' "SMTP_PUBLISH=127.0.0.1:$smtp_port" "ADMIN_PUBLISH=127.0.0.1:$admin_port" \
  "MAILPIT_PUBLISH=127.0.0.1:$web_port" > "$COMPOSE_ENV_FILE"
s=$(date +%s)
if ! command -v curl > /dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl > /dev/null 2>&1 \
    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl > /dev/null; }
fi
bash "$here/setup-podman.sh" > "$state/setup.log" 2>&1 || { cat "$state/setup.log"; fail "setup-podman.sh"; }
bash "$here/make-base-images.sh" > "$state/images.log" 2>&1 || { cat "$state/images.log"; fail "make-base-images.sh"; }
ok "$(podman --version), $(docker-compose --version | cut -d, -f1), base images ready ($(($(date +%s) - s))s)"

step "lint: the compose files as docker-compose 1.29 reads them, and the Dockerfile"
lint=$(COMPOSE_ENV_FILE=$state/defaults.env bash "$here/lint.sh" -f docker-compose.yml 2>&1) \
  || { echo "$lint"; fail "lint.sh -f docker-compose.yml"; }
echo "$lint" | sed 's/^/  /'
if has WARN "$lint"; then fail "docker-compose.yml uses keys docker-compose 1.29 does not know"; fi
ok "docker-compose.yml is valid for docker-compose 1.29 as it is (no key dropped)"
bash "$here/lint.sh" --compose-only "${files[@]}" 2>&1 | sed 's/^/  /'
ok "valid with infra/compose/demo-smarthost.override.yml on top"
defaults=$(source "$here/lib.sh" && COMPOSE_ENV_FILE=$state/defaults.env prepare_compose defaults-check docker-compose.yml > /dev/null \
  && "$SYS_PY" -c 'import sys, yaml, json; c = yaml.safe_load(open(sys.argv[1])); print(json.dumps({n: s.get("ports", []) for n, s in c["services"].items()}, sort_keys=True))' \
    "/run/compose-recipe/defaults-check/config.yml"; rm -rf /run/compose-recipe/defaults-check)
expected='{"ingress": ["127.0.0.1:2525:2525/tcp", "127.0.0.1:8080:8080/tcp"], "mailpit": ["127.0.0.1:8025:8025/tcp"], "redis": [], "redis-password": [], "sender": []}'
[ "$defaults" = "$expected" ] || fail "published ports without a .env: $defaults, expected $expected"
ok "without a .env: ingress publishes 127.0.0.1:2525 and :8080, the demo smart host 127.0.0.1:8025, nothing else"

step "build: docker-compose build ingress (sender and the demo smart host run the same image)"
s=$(date +%s)
(source "$here/lib.sh" && prepare_compose "$project" "${compose_files[@]}" > /dev/null && ensure_podman_service)
nocache=(--no-cache); [ -z "${BUILD_CACHE:-}" ] || nocache=()
version=$(node -p "require('./package.json').version")
DOCKER_BUILDKIT=0 COMPOSE_DOCKER_CLI_BUILD=0 dc build "${nocache[@]}" --build-arg VERSION="$version" \
  --build-arg REVISION="$(git rev-parse HEAD 2>/dev/null || echo unknown)" \
  --build-arg CREATED="$(date -u +%Y-%m-%dT%H:%M:%SZ)" ingress > "$state/build.log" 2>&1 \
  || { cat "$state/build.log"; fail "docker-compose build"; }
grep -E '^(image:|not in the image|added [0-9]+ packages)' "$state/build.log" | sed 's/^/  /' || true
ok "image $(podman images --format '{{.Repository}}:{{.Tag}} ({{.Size}})' | grep -m1 'smtp-relay:local') built in $(($(date +%s) - s))s"
label=$(podman image inspect --format '{{index .Labels "org.opencontainers.image.version"}}' smtp-relay:local)
[ "$label" = "$version" ] || fail "org.opencontainers.image.version is '$label', package.json says $version"
ok "the image is labelled org.opencontainers.image.version=$version (package.json)"

step "up -d; wait until every container is healthy"
s=$(date +%s)
NO_BUILD=1 bash "$here/compose-up.sh" "${files[@]}" -p "$project" -t 180 2>&1 | sed 's/^/  /'
ok "up in $(($(date +%s) - s))s"
ingress=$(one ingress); sender=$(one sender); redis=$(one redis); mailpit=$(one mailpit)
for id in "$ingress" "$sender" "$redis" "$mailpit"; do
  health=$(podman inspect --format '{{.State.Health.Status}}' "$id")
  [ "$health" = healthy ] || fail "$(name_of "$id") is $health"
done
ok "redis, ingress, sender and the demo smart host are running and healthy"

step "the image and its containers"
healthcheck=$(podman image inspect --format '{{json .Config.Healthcheck}}' "$(podman inspect --format '{{.Image}}' "$ingress")")
has '/healthz' "$healthcheck" || fail "the image has no HEALTHCHECK on /healthz: $healthcheck"
ok "the image's own HEALTHCHECK asks /healthz (for \`docker run\`; compose sets the same)"
for id in "$ingress" "$sender"; do
  n=$(name_of "$id")
  [ "$(podman exec "$id" id -u)" = 1000 ] || fail "$n does not run as uid 1000"
  [ "$(podman inspect --format '{{.HostConfig.ReadonlyRootfs}}' "$id")" = true ] || fail "$n: root filesystem not read-only"
  if podman exec "$id" sh -c 'echo x > /app/probe' 2>/dev/null; then fail "$n: /app is writable"; fi
  pid1=$(podman exec "$id" cat /proc/1/cmdline | tr '\0' ' ')
  [[ "$pid1" == "node services/"* ]] || fail "$n: PID 1 is '$pid1', not node"
  ok "$n: uid 1000, read-only root filesystem, node is PID 1"
done
published=$(podman ps --filter "label=com.docker.compose.project=$project" --format '{{.Names}} {{.Ports}}')
echo "$published" | sed 's/^/  ports /'
[ -z "$(podman port "$sender")" ] || fail "sender publishes ports: it could not scale"
if has '(0\.0\.0\.0|\[::\]):' "$published"; then fail "a port is published beyond 127.0.0.1"; fi
ok "only ingress (SMTP, admin) and the demo smart host (web) publish ports, on 127.0.0.1"
[ "$(redis_cli config get appendonly | tail -1)" = yes ] || fail "redis: appendonly is not on"
[ "$(redis_cli config get maxmemory-policy | tail -1)" = noeviction ] || fail "redis: not noeviction"
mounts=$(podman inspect --format '{{range .Mounts}}{{.Type}}:{{.Name}}:{{.Destination}} {{end}}' "$redis")
has "volume:${project}_redis-data:/data" "$mounts" || fail "redis: /data is not the named volume ${project}_redis-data ($mounts)"
ok "redis: appendonly yes, maxmemory-policy noeviction, /data on volume ${project}_redis-data"
maxmemory=$(redis_cli config get maxmemory | tail -1)
[ "$maxmemory" = $((512 * 1024 * 1024)) ] || fail "redis: maxmemory $maxmemory, not the default 512mb"
ok "redis: maxmemory 512mb (REDIS_MAXMEMORY's default)"
init=$(podman ps -aq --filter "label=com.docker.compose.project=$project" --filter "label=com.docker.compose.service=redis-password")
[ "$(podman inspect --format '{{.State.ExitCode}}' "$init")" = 0 ] || fail "redis-password did not exit 0"
has 'made a new Redis password' "$(podman logs "$init" 2>&1)" || fail "redis-password made no password"
has '^[0-9a-f]{64}$' "$(podman exec "$redis" cat /run/redis-auth/password)" || fail "the Redis password is not 64 hex digits"
noauth=$(podman exec "$redis" redis-cli ping 2>&1 || true)
has 'NOAUTH' "$noauth" || fail "redis answers without the password: $noauth"
[ "$(redis_cli ping)" = PONG ] || fail "redis does not answer with the password"
ok "redis: refuses clients without the password ($noauth); redis-password made it once and exited 0"
counts=$(podman exec "$sender" npx smtp-relay queue counts) || fail "npx smtp-relay queue counts in the sender container"
has '^waiting +0$' "$counts" || fail "queue counts: $counts"
ok "the services and the CLI log in with REDIS_PASSWORD_FILE (npx smtp-relay queue counts in the sender)"
for id in "$ingress" "$sender" "$redis" "$mailpit"; do
  status=$(podman exec "$id" cat /proc/1/status)
  caps=$(grep -E '^Cap(Prm|Eff|Bnd|Amb):' <<< "$status" | awk '{print $2}' | sort -u)
  [ "$caps" = 0000000000000000 ] || fail "$(name_of "$id"): capabilities left: $(grep '^Cap' <<< "$status" | tr '\n' ' ')"
  has '^NoNewPrivs:[[:space:]]+1$' "$status" || fail "$(name_of "$id"): no-new-privileges is off"
done
has '^Uid:[[:space:]]+999[[:space:]]' "$(podman exec "$redis" cat /proc/1/status)" || fail "redis does not run as uid 999"
ok "ingress, sender, redis (uid 999) and the demo smart host: no capabilities at all, no-new-privileges"
config=$(podman exec "$ingress" npx smtp-relay config ingress) || fail "npx smtp-relay config in the ingress container"
networks=$(grep '^SMTP_RELAY_NETWORKS=' <<< "$config") || fail "npx smtp-relay config printed no SMTP_RELAY_NETWORKS"
[ "$networks" = SMTP_RELAY_NETWORKS=172.16.0.0/12,10.89.0.0/16 ] || fail "container-bridges on loopback: $networks"
ok "npx smtp-relay config works in the container ($networks: container-bridges, published on loopback)"
curl -fsS "http://127.0.0.1:$admin_port/readyz" > /dev/null || fail "ingress /readyz on 127.0.0.1:$admin_port"
metrics=$(curl -fsS "http://127.0.0.1:$admin_port/metrics") || fail "ingress /metrics"
has '^smtp_relay_' "$metrics" || fail "ingress /metrics has no smtp_relay_ metric"
ok "ingress /readyz and /metrics answer on the published admin port"

step "read-only root filesystem as Docker does it (no tmpfs on /tmp, which podman adds)"
image=$(podman inspect --format '{{.Image}}' "$ingress")
network=$(podman inspect --format '{{range $k, $v := .NetworkSettings.Networks}}{{$k}}{{end}}' "$ingress")
common=(--read-only --read-only-tmpfs=false --network "$network" -e REDIS_URL=redis://redis:6379
  -v "${project}_redis-auth:/run/redis-auth:ro" -e REDIS_PASSWORD_FILE=/run/redis-auth/password
  -e QUEUE_PREFIX=readonly-check -e SMART_HOST=mailpit -e SMART_HOST_PORT=1025 -e SMART_HOST_TLS=none)
# --no-experimental-strip-types: the compiled entry points load no .ts file (the stripper
# would cost ~28 MB per process, docs/adr/015-memory-footprint.md); one left would fail here.
for service in ingress sender; do
  podman run -d --name "readonly-check-$service" "${common[@]}" "$image" \
    node --no-experimental-strip-types "services/$service/src/main.js" > /dev/null 2> "$state/podman-run.log" \
    || { cat "$state/podman-run.log"; fail "podman run readonly-check-$service"; }
done
for service in ingress sender; do
  c=readonly-check-$service
  started=""
  for _ in $(seq 1 60); do
    [ "$(podman inspect --format '{{.State.Running}}' "$c")" = true ] || { podman logs "$c" | tail -20; fail "$c exited"; }
    if has '"event":"(smtp\.listening|sender\.started)"' "$(podman logs "$c" 2>&1)"; then started=1; break; fi
    sleep 0.5
  done
  [ -n "$started" ] || { podman logs "$c" | tail -20; fail "$c did not start with a read-only root and no /tmp"; }
  podman exec "$c" node -e "fetch('http://127.0.0.1:8080/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))" \
    || fail "$c: /readyz did not answer 200"
  if podman exec "$c" sh -c 'echo x > /tmp/probe' 2> /dev/null; then fail "$c: /tmp writable"; fi
  s=$(date +%s%N); podman stop -t 30 "$c" > /dev/null 2>&1
  code=$(podman inspect --format '{{.State.ExitCode}}' "$c")
  [ "$code" = 0 ] || { podman logs "$c" | tail -20; fail "$c exited $code on SIGTERM"; }
  ok "$c: ready with nothing writable, SIGTERM -> exit 0 in $((($(date +%s%N) - s) / 1000000)) ms"
  podman rm "$c" > /dev/null 2>&1
done

step "no open relay: a client outside SMTP_RELAY_NETWORKS (127.0.0.1 inside ingress) is refused"
reply=$(rcpt_reply "$ingress" 127.0.0.1)
has '^(554 5\.7\.1|530 5\.7\.0)' "$reply" || fail "RCPT from 127.0.0.1 got: $reply"
ok "RCPT TO from 127.0.0.1: $reply"

step "container-bridges: trusted while SMTP is published on loopback, never beyond it"
bridge_client=$(ip_of "$sender")
reply=$(rcpt_reply "$sender" ingress)
has '^250 ' "$reply" || fail "RCPT from the sender container ($bridge_client) to ingress got: $reply"
ok "a client on the bridge ($bridge_client) relays without AUTH through ingress published on 127.0.0.1: $reply"
# The same ingress as if SMTP_PUBLISH=2525 served the LAN: the bridge address is refused.
podman run -d --name lan-check-ingress --cap-drop ALL --security-opt no-new-privileges \
  "${common[@]}" -e SMTP_RELAY_NETWORKS=container-bridges -e SMTP_PUBLISHED_ON=2525 \
  "$image" node services/ingress/src/main.js > /dev/null 2> "$state/podman-run.log" \
  || { cat "$state/podman-run.log"; fail "podman run lan-check-ingress"; }
started=""
for _ in $(seq 1 60); do
  [ "$(podman inspect --format '{{.State.Running}}' lan-check-ingress)" = true ] || { podman logs lan-check-ingress | tail -20; fail "lan-check-ingress exited"; }
  if has '"event":"smtp\.listening"' "$(podman logs lan-check-ingress 2>&1)"; then started=1; break; fi
  sleep 0.5
done
[ -n "$started" ] || fail "lan-check-ingress did not start"
lan_log=$(podman logs lan-check-ingress 2>&1)
has '"relayNetworks":\[\]' "$lan_log" || fail "lan-check-ingress trusts networks: $(grep smtp.listening <<< "$lan_log")"
has 'container-bridges trusts nothing here, because SMTP is published beyond this machine' "$lan_log" \
  || fail "lan-check-ingress did not warn"
reply=$(rcpt_reply "$sender" "$(ip_of lan-check-ingress)")
has '^(554 5\.7\.1|530 5\.7\.0)' "$reply" || fail "RCPT from $bridge_client to the LAN-published ingress got: $reply"
ok "published beyond loopback (SMTP_PUBLISHED_ON=2525): warned, relayNetworks [], the bridge client gets $reply"
podman rm -f lan-check-ingress > /dev/null 2>&1
code=0
refusal=$(podman run --rm "${common[@]}" -e SMTP_RELAY_NETWORKS=172.16.0.0/12,10.89.0.0/16 \
  -e SMTP_PUBLISHED_ON=2525 "$image" node services/ingress/src/main.js 2>&1) || code=$?
[ "$code" != 0 ] || fail "ingress started with the bridge ranges listed while published to the LAN"
has 'SMTP_RELAY_NETWORKS: trusting 172\.16\.0\.0/12, 10\.89\.0\.0/16 trusts the container bridge ranges' "$refusal" \
  || fail "no SMTP_RELAY_NETWORKS line: $refusal"
ok "the bridge ranges listed explicitly while published to the LAN: ingress exits $code naming SMTP_RELAY_NETWORKS"

step "mail flow: 127.0.0.1:$smtp_port (published 2525) -> ingress -> redis -> sender -> demo smart host"
label=one; mail send --count 3 --label one
mail expect --timeout 60
client=$(podman logs "$sender" 2>&1 | grep -c '"event":"delivery.delivered"' || true)
[ "$client" -ge 3 ] || fail "$(name_of "$sender") logged $client deliveries, expected 3"
ok "$(name_of "$sender") logged the 3 deliveries (delivery.delivered)"

step "scale: up -d --scale sender=2"
NO_BUILD=1 bash "$here/compose-up.sh" "${files[@]}" -p "$project" -t 120 -- --scale sender=2 --no-recreate --no-deps sender 2>&1 | sed 's/^/  /'
senders=$(containers sender)
[ "$(echo "$senders" | grep -c .)" = 2 ] || fail "expected 2 sender containers, got: $senders"
for id in $senders; do
  [ "$(podman inspect --format '{{.State.Health.Status}}' "$id")" = healthy ] || fail "$(name_of "$id") not healthy"
done
ok "2 sender containers, both healthy"
label=two; mail send --count 12 --label two
mail expect --timeout 60
queue_ids=$(node -p "require('$state/two.json').map((m) => m.queueId).join('\n')")
total=0; each=()
for id in $senders; do
  n=$(podman logs "$id" 2>&1 | grep '"event":"delivery.delivered"' | grep -cF "$queue_ids" || true)
  each+=("$(name_of "$id")=$n"); total=$((total + n))
done
echo "  deliveries per sender: ${each[*]}"
[ "$total" = 12 ] || fail "the senders logged $total deliveries of the 12 messages"
for e in "${each[@]}"; do [ "${e#*=}" -gt 0 ] || fail "sender ${e%=*} delivered none: scaling did not spread the work"; done
ok "12 messages delivered once each, shared by both senders"

step "queued mail survives recreating every container (an upgrade): redis append-only file on the volume"
dc stop sender 2>&1 | sed 's/^/  /'
label=kept; mail send --count 2 --label kept
sleep 2
at_smart_host=$(curl -fsS "http://127.0.0.1:$web_port/api/v1/messages")
if has 'test:containers kept-' "$at_smart_host"; then fail "a message reached the smart host with no sender running"; fi
ok "2 messages queued while no sender runs"
NO_BUILD=1 bash "$here/compose-up.sh" "${files[@]}" -p "$project" -t 120 -- --force-recreate --scale sender=1 2>&1 | sed 's/^/  /'
[ "$(containers redis)" != "$redis" ] || fail "redis was not recreated"
mail expect --timeout 90
ok "delivered after redis, ingress, sender and the smart host were all recreated"

step "stop: SIGTERM reaches node, each service drains and exits 0"
s=$(date +%s)
dc stop 2>&1 | sed 's/^/  /'
elapsed=$(($(date +%s) - s))
for id in $(podman ps -aq --filter "label=com.docker.compose.project=$project"); do
  code=$(podman inspect --format '{{.State.ExitCode}}' "$id")
  n=$(name_of "$id")
  [ "$code" = 0 ] || fail "$n exited $code (137 = killed after the grace period: SIGTERM not handled)"
  ok "$n exited 0"
done
[ "$elapsed" -lt 30 ] || fail "stop took ${elapsed}s"
ok "docker-compose stop took ${elapsed}s"

step "down -v"
bash "$here/compose-down.sh" "${files[@]}" -p "$project" > /dev/null 2>&1
: > "$state/down"
[ -z "$(podman ps -aq --filter "label=com.docker.compose.project=$project")" ] || fail "containers left after down"
[ -z "$(podman volume ls -q --filter "label=com.docker.compose.project=$project")" ] || fail "volumes left after down -v"
ok "no container, network or volume of the project left"

echo
echo "all checks passed in $(($(date +%s) - t0))s"
echo "test:containers: $passed passed, 0 failed"
