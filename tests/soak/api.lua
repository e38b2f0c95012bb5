-- wrk script of the soak test: every connection walks the API routes in
-- turn (lists with filters, pages, stats, metrics). The service map
-- (/api/v1/edges) has a client of its own in run.sh: it aggregates every
-- flow of its window per request, and a few of them at once hold every
-- reader handle (see run.sh, edges-latency).
local paths = {
	"/api/v1/violations",
	"/api/v1/violations?limit=10&sort=-flows",
	"/api/v1/violations?proto=tcp&port=5432&reason=denied_egress",
	"/api/v1/violations?src=a/clients&limit=1000",
	"/api/v1/flows?limit=50",
	"/api/v1/flows?verdict=denied&proto=udp&limit=20",
	"/api/v1/stats",
	"/api/v1/endpoints",
	"/api/v1/policies",
	"/metrics",
	"/healthz",
}
local i = 0
request = function()
	i = i + 1
	return wrk.format("GET", paths[(i % #paths) + 1])
end
