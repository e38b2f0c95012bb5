# tests/e2e/hosts.sh - the hosts of the end-to-end scenarios (sourced by
# tests/e2e/run.sh after tests/netns/lib.sh): network namespaces on one
# bridge, real servers in them (Debian nginx, PostgreSQL 15, redis,
# dnsmasq, python3's http.server, openssl s_server) and real clients
# (curl, psql, redis-cli, tests/e2e/dnsq.py).
#
# The bridge br0 lives in namespace "sw": that is the mirror port segwatch
# captures on (-i br0 there). Nothing is blocked by the network itself (the
# mirror only observes), so every forbidden connection is a real
# connection to a real server, unless a test adds firewall rules.
#
# Globals it reads: TMPD (a directory of the run, root only), E2E_DIR.
# Globals it sets: E2E_PGDIR (postgres' data directory, removed at exit).
# The netns_* functions share variables (ns, n, a, b, p, flag): none of
# them carries a value across calls here.

# Kubernetes flavour: addresses of tests/e2e/k8s-inventory.yaml.
K8S_INGRESS=10.30.0.2
K8S_FRONTEND=10.30.1.10
K8S_BACKEND=10.30.1.20
K8S_POSTGRES=10.30.1.30
K8S_REDIS=10.30.1.40
K8S_ADMIN=10.30.1.50
K8S_DNS=10.30.2.53
K8S_EXTERNAL=198.51.100.10

# Compose flavour: addresses of tests/e2e/compose-inventory.yaml.
C_WEB=172.28.0.10
C_APP=172.28.0.20
C_DB=172.28.0.30
C_ADMIN=172.28.0.40
C_OUTSIDE=198.51.100.20

# e2e_host NAME ADDR/LEN ROUTE: a host on br0 with an on-link route to
# ROUTE (the other side of the bridge: the "external" range or the
# cluster's), so that both talk over the one bridge without a router.
e2e_host() {
	netns_host "$1" sw br0 "$2" &&
		ip -n "$(netns_name "$1")" route add "$3" dev eth0
}

# e2e_wait NS PROTO PORT NAME LOG: waits for a server; reports why not.
e2e_wait() {
	if ! netns_wait_listen "$1" "$2" "$3" 15; then
		echo "e2e: $4 did not start listening on $2/$3 in $1:" >&2
		tail -n 5 "$5" >&2
		return 1
	fi
}

# --- servers -----------------------------------------------------------

# e2e_nginx NS ADDR PORT TEXT: Debian's nginx answering every GET with TEXT.
e2e_nginx() {
	d="$TMPD/nginx-$1"
	mkdir -p "$d" &&
		cat >"$d/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes 1;
pid $d/nginx.pid;
error_log stderr warn;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path $d/body;
	proxy_temp_path $d/proxy;
	fastcgi_temp_path $d/fastcgi;
	uwsgi_temp_path $d/uwsgi;
	scgi_temp_path $d/scgi;
	server {
		listen $2:$3;
		location / { default_type text/plain; return 200 "$4\n"; }
	}
}
EOF
	netns_bg "$1" "$d/log" nginx -e stderr -p "$d" -c "$d/nginx.conf" &&
		e2e_wait "$1" tcp "$3" nginx "$d/log"
}

# e2e_http NS ADDR PORT: python3's http.server on ADDR:PORT (an API).
e2e_http() {
	d="$TMPD/http-$1-$3"
	mkdir -p "$d" && echo "{\"service\": \"$1\"}" >"$d/index.json" &&
		netns_bg "$1" "$d.log" python3 -m http.server --bind "$2" --directory "$d" "$3" &&
		e2e_wait "$1" tcp "$3" http.server "$d.log"
}

# e2e_postgres NS ADDR: PostgreSQL 15 (Debian's binaries) in a fresh
# cluster owned by the postgres user, trust authentication from anywhere
# (the test's clients connect as "postgres" without a password).
e2e_postgres() {
	E2E_PGBIN=${E2E_PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
	E2E_PGDIR=$(mktemp -d "/tmp/segwatch-e2e-pg-$$.XXXXXX") || return 1
	netns_on_exit 'rm -rf "$E2E_PGDIR"'
	chown postgres: "$E2E_PGDIR" &&
		runuser -u postgres -- "$E2E_PGBIN/initdb" -D "$E2E_PGDIR/data" -U postgres \
			-A trust >"$TMPD/initdb.log" 2>&1 ||
		{ echo "e2e: initdb failed:" >&2; tail -n 5 "$TMPD/initdb.log" >&2; return 1; }
	echo "host all all 0.0.0.0/0 trust" >>"$E2E_PGDIR/data/pg_hba.conf"
	netns_bg "$1" "$TMPD/postgres.log" runuser -u postgres -- "$E2E_PGBIN/postgres" \
		-D "$E2E_PGDIR/data" -k "$E2E_PGDIR" -p 5432 -c listen_addresses="$2" \
		-c logging_collector=off -c fsync=off -c shared_buffers=16MB &&
		e2e_wait "$1" tcp 5432 postgres "$TMPD/postgres.log"
}

# e2e_redis NS ADDR: redis-server, no persistence.
e2e_redis() {
	netns_bg "$1" "$TMPD/redis.log" redis-server --bind "$2" --port 6379 --save "" \
		--appendonly no --protected-mode no --dir "$TMPD" --daemonize no &&
		e2e_wait "$1" tcp 6379 redis-server "$TMPD/redis.log"
}

# e2e_dnsmasq NS ADDR NAME=ADDR...: dnsmasq answering these names only
# (no upstream servers, no /etc/hosts, no /etc/resolv.conf).
e2e_dnsmasq() {
	d=$1 a=$2
	shift 2
	set -- "$@"
	recs=""
	for r in "$@"; do
		recs="$recs --host-record=${r%%=*},${r#*=}"
	done
	# shellcheck disable=SC2086
	netns_bg "$d" "$TMPD/dnsmasq.log" dnsmasq -k --conf-file=/dev/null --no-resolv \
		--no-hosts --no-poll --bind-interfaces --listen-address="$a" --port=53 \
		--pid-file="$TMPD/dnsmasq.pid" --log-facility=- --user=root $recs &&
		e2e_wait "$d" udp 53 dnsmasq "$TMPD/dnsmasq.log"
}

# e2e_tls NS ADDR: openssl s_server on ADDR:443 with a throw-away
# self-signed certificate, answering GET with a status page (-www).
e2e_tls() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-subj "/CN=api.example.test" -days 1 -keyout "$TMPD/tls.key" \
		-out "$TMPD/tls.crt" >"$TMPD/openssl-req.log" 2>&1 ||
		{ echo "e2e: openssl req failed" >&2; return 1; }
	netns_bg "$1" "$TMPD/s_server.log" openssl s_server -accept "$2:443" -www -quiet \
		-cert "$TMPD/tls.crt" -key "$TMPD/tls.key" &&
		e2e_wait "$1" tcp 443 "openssl s_server" "$TMPD/s_server.log"
}

# --- clients: each prints nothing and fails with a reason on stderr ------

# e2e_curl NS URL [WANT]: one HTTP(S) request; the body must hold WANT.
e2e_curl() {
	body=$(netns_exec "$1" curl -sS -k --max-time 5 --noproxy '*' "$2" 2>&1) ||
		{ echo "curl $2 from $1: $body" >&2; return 1; }
	case "$body" in
	*"${3:-}"*) return 0 ;;
	esac
	echo "curl $2 from $1: unexpected answer '$body'" >&2
	return 1
}

# e2e_psql NS ADDR: psql SELECT 1 (no SSL or GSS negotiation: one TCP
# connection, as the flow count expects).
e2e_psql() {
	got=$(PGCONNECT_TIMEOUT=5 PGSSLMODE=disable PGGSSENCMODE=disable \
		netns_exec "$1" psql -h "$2" -p 5432 -U postgres -d postgres -tAc 'SELECT 1' 2>&1)
	[ "$got" = 1 ] || { echo "psql from $1 to $2: $got" >&2; return 1; }
}

# e2e_redis_ping NS ADDR: redis-cli PING must answer PONG.
e2e_redis_ping() {
	got=$(netns_exec "$1" timeout 5 redis-cli -h "$2" -p 6379 PING 2>&1)
	[ "$got" = PONG ] || { echo "redis-cli from $1 to $2: $got" >&2; return 1; }
}

# e2e_dns NS SERVER NAME=ADDR...: one UDP flow asking each NAME, whose
# answer must be ADDR.
e2e_dns() {
	d=$1 s=$2
	shift 2
	names="" want=""
	for r in "$@"; do
		names="$names ${r%%=*}"
		want="$want${r%%=*} ${r#*=}
"
	done
	# shellcheck disable=SC2086
	got=$(netns_exec "$d" python3 "$E2E_DIR/dnsq.py" "$s" $names 2>&1)
	[ "$got
" = "$want" ] || { echo "dns from $d: got '$got'" >&2; return 1; }
}

# --- the Kubernetes flavour -------------------------------------------

K8S_NAMES="frontend.microservices.svc.cluster.local=$K8S_FRONTEND
backend-api.microservices.svc.cluster.local=$K8S_BACKEND
postgres.microservices.svc.cluster.local=$K8S_POSTGRES
redis.microservices.svc.cluster.local=$K8S_REDIS"

# k8s_build: the namespaces of the seed article's microservices on br0.
k8s_build() {
	netns_add sw && netns_bridge sw br0 &&
		e2e_host ingress "$K8S_INGRESS/16" 198.51.100.0/24 &&
		e2e_host frontend "$K8S_FRONTEND/16" 198.51.100.0/24 &&
		e2e_host backend "$K8S_BACKEND/16" 198.51.100.0/24 &&
		e2e_host postgres "$K8S_POSTGRES/16" 198.51.100.0/24 &&
		e2e_host redis "$K8S_REDIS/16" 198.51.100.0/24 &&
		e2e_host admin "$K8S_ADMIN/16" 198.51.100.0/24 &&
		e2e_host dns "$K8S_DNS/16" 198.51.100.0/24 &&
		e2e_host external "$K8S_EXTERNAL/24" 10.30.0.0/16
}

# k8s_servers: every server listens, so forbidden connections are real.
k8s_servers() {
	# shellcheck disable=SC2086
	e2e_nginx frontend "$K8S_FRONTEND" 8080 "frontend" &&
		e2e_http backend "$K8S_BACKEND" 8081 &&
		e2e_postgres postgres "$K8S_POSTGRES" &&
		e2e_redis redis "$K8S_REDIS" &&
		e2e_dnsmasq dns "$K8S_DNS" $K8S_NAMES &&
		e2e_http admin "$K8S_ADMIN" 8090 &&
		e2e_tls external "$K8S_EXTERNAL" &&
		e2e_http external "$K8S_EXTERNAL" 80
}

# The connection counts of the traffic functions below (one flow per curl,
# psql, redis-cli or dnsq.py run) are the expected flow counts in
# tests/e2e/expect.py: change both together.

# k8s_allowed_traffic: what the policies (with the fixes) allow; the
# counts must match K8S_ALLOWED_FLOWS.
k8s_allowed_traffic() {
	# shellcheck disable=SC2086
	for _ in 1 2 3; do e2e_curl ingress "http://$K8S_FRONTEND:8080/" frontend || return 1; done
	e2e_dns frontend "$K8S_DNS" $K8S_NAMES &&
		e2e_curl frontend "http://$K8S_BACKEND:8081/index.json" '"backend"' &&
		e2e_curl frontend "http://$K8S_BACKEND:8081/index.json" '"backend"' &&
		e2e_dns backend "$K8S_DNS" $K8S_NAMES &&
		e2e_psql backend "$K8S_POSTGRES" && e2e_psql backend "$K8S_POSTGRES" &&
		e2e_redis_ping backend "$K8S_REDIS" && e2e_redis_ping backend "$K8S_REDIS" &&
		e2e_curl backend "https://$K8S_EXTERNAL/" "s_server"
}

# k8s_forbidden_traffic [blocked]: what they forbid. Without a firewall
# every one of them connects; with "blocked" (the NFLOG pass: DROP rules on
# these paths) each must time out instead.
k8s_forbidden_traffic() {
	if [ "${1:-}" = blocked ]; then
		for e in "frontend $K8S_POSTGRES 5432" "frontend $K8S_POSTGRES 5432" \
			"admin $K8S_POSTGRES 5432" "backend $K8S_EXTERNAL 80" \
			"external $K8S_BACKEND 8081" "postgres $K8S_EXTERNAL 443"; do
			# shellcheck disable=SC2086
			set -- $e
			got=$(netns_traffic "$1" tcp-attempt --to "$2" --port "$3" --wait 1.5 2>&1)
			[ "$got" = timeout ] || { echo "$1 -> $2:$3 not blocked: $got" >&2; return 1; }
		done
		return 0
	fi
	e2e_psql frontend "$K8S_POSTGRES" && e2e_psql frontend "$K8S_POSTGRES" &&
		e2e_psql admin "$K8S_POSTGRES" &&
		e2e_curl backend "http://$K8S_EXTERNAL/" "Directory listing" &&
		e2e_curl external "http://$K8S_BACKEND:8081/index.json" '"backend"' &&
		e2e_curl postgres "https://$K8S_EXTERNAL/" "s_server"
}

# --- the compose flavour ------------------------------------------------

compose_build() {
	netns_add sw && netns_bridge sw br0 &&
		e2e_host web "$C_WEB/16" 198.51.100.0/24 &&
		e2e_host app "$C_APP/16" 198.51.100.0/24 &&
		e2e_host db "$C_DB/16" 198.51.100.0/24 &&
		e2e_host cadmin "$C_ADMIN/16" 198.51.100.0/24 &&
		e2e_host outside "$C_OUTSIDE/24" 172.28.0.0/16
}

compose_servers() {
	e2e_nginx web "$C_WEB" 80 "web" &&
		e2e_http app "$C_APP" 8000 &&
		e2e_postgres db "$C_DB" &&
		e2e_http cadmin "$C_ADMIN" 8090
}

compose_traffic() {
	e2e_curl web "http://$C_APP:8000/index.json" '"app"' &&
		e2e_psql app "$C_DB" &&
		e2e_curl app "http://$C_ADMIN:8090/index.json" '"cadmin"' &&
		e2e_curl web "http://$C_ADMIN:8090/index.json" '"cadmin"' &&
		e2e_psql web "$C_DB" &&
		e2e_curl outside "http://$C_WEB:80/" web &&
		e2e_curl outside "http://$C_APP:8000/index.json" '"app"'
}
