// dashboard.test.mjs - drives the segwatch dashboard in Debian's headless
// Chromium (playwright-core, never a downloaded browser) against a running
// server, and compares what the page shows with what the same server's API
// answers.
//
//   node tests/browser/dashboard.test.mjs --url http://127.0.0.1:PORT \
//        --token-file FILE [--screenshot build/dashboard.png] [--check-json FILE]
//
// Options may also come from the environment: SEGWATCH_URL, SEGWATCH_TOKEN
// or SEGWATCH_TOKEN_FILE, SCREENSHOT, CHECK_JSON (the output of
// `segwatch check --format json` on the inputs the server's db was built
// from: its violations must be exactly the API's), CHROMIUM (default
// /usr/bin/chromium).
//
// Prints one line per check, "ok NAME" or "not ok NAME: reason" (the
// convention of tests/integration/lib.sh), then "N passed, M failed".
// Exit status 0 when every check passed, 1 otherwise, 2 on a setup error.
//
// --live-cmd CMD (or LIVE_CMD): a shell command that adds violations to the
// server's database (e.g. another `segwatch run` with stricter policies); it
// is run while the overview is open, and the live feed must then show exactly
// the new violations the API lists, newest first, without a reload.
//
// It writes: the violation it acknowledges is acknowledged, then reopened.

import {readFileSync, mkdirSync} from 'node:fs';
import {spawnSync} from 'node:child_process';
import {dirname} from 'node:path';
import {parseArgs} from 'node:util';

process.env.PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD = '1';

const {values: opt} = parseArgs({options: {
	'url': {type: 'string', default: process.env.SEGWATCH_URL || ''},
	'token': {type: 'string', default: process.env.SEGWATCH_TOKEN || ''},
	'token-file': {type: 'string', default: process.env.SEGWATCH_TOKEN_FILE || ''},
	'screenshot': {type: 'string', default: process.env.SCREENSHOT || 'build/dashboard.png'},
	'check-json': {type: 'string', default: process.env.CHECK_JSON || ''},
	'chromium': {type: 'string', default: process.env.CHROMIUM || '/usr/bin/chromium'},
	'user': {type: 'string', default: 'browser-test'},
	'live-cmd': {type: 'string', default: process.env.LIVE_CMD || ''},
}});

if (!opt.url) {
	console.error('dashboard.test: --url (or SEGWATCH_URL) is required');
	process.exit(2);
}
const BASE = opt.url.replace(/\/+$/, '');
let TOKEN = opt.token;
if (!TOKEN && opt['token-file'])
	TOKEN = readFileSync(opt['token-file'], 'utf8').trim();
if (!TOKEN) {
	console.error('dashboard.test: --token or --token-file is required (the test acknowledges a violation)');
	process.exit(2);
}

let chromium;
try {
	({chromium} = await import('playwright-core'));
} catch (e) {
	console.error('dashboard.test: playwright-core is not installed: run `npm ci` in tests/browser ' +
	              '(PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1)');
	process.exit(2);
}

// ---------------------------------------------------------------- reporting

let passed = 0, failed = 0;

function ok(name) {
	console.log('ok ' + name);
	passed++;
}

function notOk(name, why, details = []) {
	console.log('not ok ' + name + ': ' + why);
	for (const d of details.slice(0, 20))
		console.log('# ' + d);
	failed++;
}

// check(name, async () => { ...; throw new Fail(why, details) on a mismatch })
class Fail extends Error {
	constructor(why, details = []) {
		super(why);
		this.details = details;
	}
}

async function check(name, fn) {
	try {
		await fn();
		ok(name);
		return true;
	} catch (e) {
		notOk(name, e instanceof Fail ? e.message : 'exception: ' + (e && e.message ? e.message.split('\n')[0] : e),
		      e instanceof Fail ? e.details : []);
		return false;
	}
}

function expectEqual(what, got, want) {
	const g = JSON.stringify(got), w = JSON.stringify(want);
	if (g !== w)
		throw new Fail(what + ' differ', ['page: ' + g.slice(0, 600), 'api:  ' + w.slice(0, 600)]);
}

// ---------------------------------------------------------------- API helpers

async function apiGet(path, params = {}) {
	const url = new URL(BASE + path);
	for (const [k, v] of Object.entries(params))
		url.searchParams.set(k, String(v));
	const r = await fetch(url, {headers: {Accept: 'application/json', Authorization: 'Bearer ' + TOKEN}});
	if (!r.ok)
		throw new Fail('GET ' + url.pathname + url.search + ' answered ' + r.status, [await r.text()]);
	return r.json();
}

// Every item of a list route, following next_cursor.
async function apiAll(path, params = {}) {
	const items = [];
	let cursor = null;
	for (let i = 0; i < 1000; i++) {
		const p = Object.assign({}, params, {limit: 1000});
		if (cursor)
			p.cursor = cursor;
		const doc = await apiGet(path, p);
		items.push(...doc.items);
		cursor = doc.next_cursor;
		if (!cursor)
			return items;
	}
	throw new Fail(path + ': next_cursor never ends');
}

const edgeKey = e => [e.src, e.dst, e.proto, e.port].join('|');
const violKey = v => [v.src, v.dst, v.proto, v.port, v.reason].join('|');
const sorted = a => [...a].sort();

// ---------------------------------------------------------------- browser

const browser = await chromium.launch({
	executablePath: opt.chromium,
	headless: true,
	args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
	       '--disable-component-update', '--disable-sync', '--no-first-run'],
});
const context = await browser.newContext({viewport: {width: 1280, height: 800}});
const page = await context.newPage();
page.setDefaultTimeout(10000);

// Console errors, page errors and CSP violations, by phase: during the
// deliberate write without a token only the 401 itself is allowed.
const problems = [];
let phase = 'normal';
page.on('console', msg => {
	const text = msg.text();
	if (/Content.Security.Policy/i.test(text))
		problems.push('CSP (console): ' + text);
	else if (msg.type() === 'error' && !(phase === 'unauthorized' && /status of 401/.test(text)))
		problems.push('console error: ' + text);
});
page.on('pageerror', err => problems.push('page error: ' + err.message));
page.on('requestfailed', req => {
	// requests cut by the test's own navigations (the event stream, a poll) are not failures
	const why = req.failure()?.errorText || '';
	if (!/ERR_ABORTED/.test(why))
		problems.push('request failed: ' + req.url() + ' ' + why);
});
page.on('request', req => {
	const u = new URL(req.url());
	if (u.origin !== new URL(BASE).origin && u.protocol !== 'data:')
		problems.push('request outside the server: ' + req.url());
});
// a binding survives navigations (a window variable would not)
await page.exposeFunction('__segwatchCsp', text => problems.push('CSP: ' + text));
await page.addInitScript(() => {
	document.addEventListener('securitypolicyviolation',
		e => window.__segwatchCsp(e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sourceFile + ':' + e.lineNumber));
});

async function rowIds(table) {
	return page.$$eval(table + ' tbody tr[data-id]', trs => trs.map(tr => tr.dataset.id));
}

// Waits until the table's rows (ids) are `want` (a list of strings), or fails with the last seen.
async function waitRows(table, want) {
	const deadline = Date.now() + 8000;
	let got;
	for (;;) {
		got = await rowIds(table);
		if (JSON.stringify(got) === JSON.stringify(want))
			return;
		if (Date.now() > deadline)
			break;
		await page.waitForTimeout(100);
	}
	throw new Fail(table + ' rows differ from the API', ['page: ' + got.join(','), 'api:  ' + want.join(',')]);
}

// A fresh load of the page (a URL that differs only in its #fragment would
// not reload the document; sessionStorage, and so the token, survive).
async function goto(hash, query = '') {
	await page.goto('about:blank');
	await page.goto(BASE + '/' + query + (hash ? '#' + hash : ''));
	await page.waitForSelector('body[data-ready="true"]');
}

// ---------------------------------------------------------------- checks

let apiViolations = [];

// Does the server want the token for reads too? (`segwatch serve` with a
// token file does; the contract only demands it for writes.)
const readsNeedToken = (await fetch(BASE + '/api/v1/stats').catch(() => ({status: 0}))).status === 401;
console.log('# reads ' + (readsNeedToken ? 'need' : 'do not need') + ' the token');

phase = readsNeedToken ? 'unauthorized' : 'normal';
await check('page-loads', async () => {
	const resp = await page.goto(BASE + '/');
	if (!resp || resp.status() !== 200)
		throw new Fail('GET / answered ' + (resp && resp.status()));
	const csp = resp.headers()['content-security-policy'] || '';
	if (!/default-src 'self'/.test(csp))
		throw new Fail('no Content-Security-Policy default-src \'self\' on /: "' + csp + '"');
	await page.waitForSelector('body[data-ready="true"]');
	if ((await page.title()) !== 'segwatch')
		throw new Fail('title is "' + (await page.title()) + '"');
});

if (readsNeedToken) {
	await check('reads-ask-for-token', async () => {
		await page.waitForSelector('#message[data-kind="unauthorized"]', {state: 'visible'});
		const msg = await page.textContent('#message-text');
		if (!/API token/.test(msg))
			throw new Fail('the 401 message does not ask for the API token: ' + msg);
	});
}

await check('token-field', async () => {
	await page.fill('#api-token', TOKEN);
	await page.waitForFunction(() => document.querySelector('#stat-violations').textContent !== '–');
	if (await page.isVisible('#message[data-kind="unauthorized"]'))
		throw new Fail('the token message is still shown with the token set');
	await page.waitForTimeout(600);
	phase = 'normal';
	const stored = await page.evaluate(() => sessionStorage.getItem('segwatch.token'));
	if (stored !== TOKEN)
		throw new Fail('the token is not kept in sessionStorage');
});

await check('api-violations', async () => {
	apiViolations = await apiAll('/api/v1/violations');
	if (apiViolations.length === 0)
		throw new Fail('the API lists no violations: the example must have some');
	if (opt['check-json']) {
		const want = JSON.parse(readFileSync(opt['check-json'], 'utf8')).map(violKey);
		expectEqual('violations of the API and of `segwatch check`', sorted(apiViolations.map(violKey)), sorted(want));
	}
});

await check('overview-stats', async () => {
	await goto('overview');
	const stats = await apiGet('/api/v1/stats');
	await page.waitForFunction(() => document.querySelector('#stat-violations').textContent !== '–');
	const shown = (await page.textContent('#stat-violations')).replace(/,/g, '');
	if (Number(shown) !== stats.violations)
		throw new Fail('violations card shows ' + shown + ', /api/v1/stats says ' + stats.violations);
	const open = (await page.textContent('#stat-violations-open')).replace(/,/g, '');
	if (Number(open) !== stats.violations_open)
		throw new Fail('open card shows ' + open + ', /api/v1/stats says ' + stats.violations_open);
	if (Array.isArray(stats.series) && stats.series.length) {
		const hits = await page.$$eval('#series-chart rect.chart-hit', r => r.length);
		if (hits !== stats.series.length)
			throw new Fail('the chart has ' + hits + ' minutes, the series ' + stats.series.length);
	}
});

await check('live-stream-connects', async () => {
	await page.waitForSelector('#stream-status[data-state="open"]', {timeout: 8000})
		.catch(async () => {
			throw new Fail('EventSource state is ' + await page.getAttribute('#stream-status', 'data-state'));
		});
});

await check('violations-table', async () => {
	await goto('violations');
	await waitRows('#violations', apiViolations.slice(0, 100).map(v => String(v.id)));
	// each row shows its item's source, destination, proto/port, reason and state
	const rows = await page.$$eval('#violations tbody tr[data-id]', trs => trs.map(tr =>
		[...tr.cells].map(td => td.textContent.trim())));
	const bad = [];
	rows.forEach((cells, i) => {
		const v = apiViolations[i];
		const want = [String(v.id), v.src, v.dst, v.proto + '/' + v.port, v.state];
		const got = [cells[0], cells[2], cells[3], cells[4], cells[7]];
		if (JSON.stringify(got) !== JSON.stringify(want))
			bad.push('row ' + i + ': ' + JSON.stringify(got) + ' != ' + JSON.stringify(want));
	});
	if (bad.length)
		throw new Fail('row contents differ from the API', bad);
});

await check('violations-filter', async () => {
	// the reason that the fewest (but some) violations have
	const counts = {};
	for (const v of apiViolations)
		counts[v.reason] = (counts[v.reason] || 0) + 1;
	const reason = Object.keys(counts).sort((a, b) => counts[a] - counts[b])[0];
	const want = (await apiAll('/api/v1/violations', {reason})).map(v => String(v.id));
	await page.selectOption('#violation-filters select[name="reason"]', reason);
	await page.click('#violations-apply');
	await waitRows('#violations', want.slice(0, 100));
	await page.click('#violations-reset');
	await waitRows('#violations', apiViolations.slice(0, 100).map(v => String(v.id)));
});

await check('violations-paging', async () => {
	if (apiViolations.length < 2)
		throw new Fail('needs at least 2 violations');
	const size = Math.max(1, Math.floor(apiViolations.length / 3));
	await goto('violations', '?page=' + size);
	const all = apiViolations.map(v => String(v.id));
	let shown = size;
	await waitRows('#violations', all.slice(0, shown));
	while (shown < all.length) {
		if (await page.isHidden('#violations-more'))
			throw new Fail('"More" is hidden after ' + shown + ' of ' + all.length + ' rows');
		await page.click('#violations-more');
		shown = Math.min(all.length, shown + size);
		await waitRows('#violations', all.slice(0, shown));
	}
	if (!(await page.isHidden('#violations-more')))
		throw new Fail('"More" is still shown after the last page');
});

// ---- detail, then Acknowledge without and with the token
const target = apiViolations.find(v => v.state === 'open');

await check('violation-detail', async () => {
	if (!target)
		throw new Fail('no open violation to open');
	await goto('violations');
	await page.click('#violations tbody tr[data-id="' + target.id + '"]');
	await page.waitForSelector('#violation-detail[data-id="' + target.id + '"]');
	const full = await apiGet('/api/v1/violations/' + target.id);
	expectEqual('summary', (await page.textContent('#detail-summary')).trim(), (full.summary || '').trim());
	expectEqual('state', await page.getAttribute('#detail-state', 'data-state'), full.state);
	const sides = await page.$$eval('#explanation .side', s => s.map(d => d.dataset.side + ':' + d.dataset.allowed));
	if (full.explanation) {
		const want = ['egress', 'ingress'].filter(s => full.explanation[s])
			.map(s => s + ':' + String(!!full.explanation[s].allowed));
		expectEqual('explanation sides', sides, want);
		if (!want.some(s => s.endsWith(':false')))
			throw new Fail('the explanation of a violation has no denying side');
		// each policy isolating a denying side is named
		const text = await page.textContent('#explanation');
		for (const s of ['egress', 'ingress']) {
			for (const p of full.explanation[s]?.policies || []) {
				if (!text.includes(p.namespace + '/' + p.name))
					throw new Fail('the explanation does not name ' + p.namespace + '/' + p.name);
			}
		}
	}
	const samples = await rowIds('#sample-flows');
	expectEqual('sample flows', samples, (full.sample_flows || []).map(f => String(f.id ?? f.flow_id)));
});

await check('every-violation-detail', async () => {
	// every detail renders (their fw_prefix, summary... are API text)
	for (const v of apiViolations.slice(0, 30)) {
		await page.click('#violations tbody tr[data-id="' + v.id + '"]');
		await page.waitForSelector('#violation-detail[data-id="' + v.id + '"]');
		expectEqual('summary of #' + v.id, (await page.textContent('#detail-summary')).trim(), (v.summary || '').trim());
		if (v.fw_prefix && !(await page.textContent('#detail-fields')).includes(v.fw_prefix))
			throw new Fail('the firewall prefix of #' + v.id + ' is not shown as text');
	}
	await page.click('#violations tbody tr[data-id="' + target.id + '"]');
	await page.waitForSelector('#violation-detail[data-id="' + target.id + '"]');
});

await check('ack-needs-token', async () => {
	if (!target)
		throw new Fail('no open violation');
	await page.fill('#api-token', '');
	phase = 'unauthorized';
	await page.click('#ack');
	await page.waitForSelector('#message[data-kind="unauthorized"]', {state: 'visible'});
	const msg = await page.textContent('#message-text');
	if (!/token/i.test(msg))
		throw new Fail('the 401 message does not mention the token: ' + msg);
	const now = await apiGet('/api/v1/violations/' + target.id);
	if (now.state !== 'open')
		throw new Fail('state became ' + now.state + ' without a token');
});

await check('ack-with-token', async () => {
	if (!target)
		throw new Fail('no open violation');
	await page.fill('#user-name', opt.user);
	await page.fill('#api-token', TOKEN);
	await page.click('#ack');
	await page.waitForSelector('#detail-state[data-state="acknowledged"]');
	await page.waitForTimeout(600); // past the token field's debounce: no request left without it
	phase = 'normal';
	const now = await apiGet('/api/v1/violations/' + target.id);
	if (now.state !== 'acknowledged')
		throw new Fail('the API says state ' + now.state + ' after Acknowledge');
	if (now.acknowledged_by !== opt.user)
		throw new Fail('acknowledged_by is ' + JSON.stringify(now.acknowledged_by) + ', expected ' + opt.user);
	const rowState = await page.textContent('#violations tbody tr[data-id="' + target.id + '"] td:last-child');
	expectEqual('row state', rowState.trim(), 'acknowledged');
});

// ---- service map
let apiEdges = null;

await check('service-map-edges', async () => {
	// all time: the default range (the last hour) may not reach the capture's timestamps
	apiEdges = await apiGet('/api/v1/edges', {since: 0});
	if (!apiEdges.edges.length)
		throw new Fail('the API has no edges');
	await goto('map/since=0');
	if ((await page.inputValue('#map-filters select[name="since"]')) !== '0')
		throw new Fail('the range in the URL did not reach the range field');
	await page.waitForSelector('#service-map path[data-edge]');
	const got = await page.$$eval('#service-map path[data-edge]', ps => ps.map(p => p.dataset.edge));
	expectEqual('edges', sorted(got), sorted(apiEdges.edges.map(edgeKey)));
	const nodes = await page.$$eval('#service-map [data-node]', ns => ns.map(n => n.dataset.node));
	const wantNodes = new Set(apiEdges.nodes.map(n => n.id));
	for (const e of apiEdges.edges) {
		wantNodes.add(e.src);
		wantNodes.add(e.dst);
	}
	expectEqual('nodes', sorted(nodes), sorted(wantNodes));
});

await check('service-map-violations-red', async () => {
	const red = await page.$$eval('#service-map path[data-edge].violation', ps => ps.map(p => p.dataset.edge));
	const want = apiEdges.edges.filter(e => e.verdict === 'denied' || e.violation_id !== null).map(edgeKey);
	expectEqual('red edges', sorted(red), sorted(want));
	// every violation of the API is a red edge
	const missing = apiViolations.map(v => [v.src, v.dst, v.proto, v.port].join('|')).filter(k => !red.includes(k));
	if (missing.length)
		throw new Fail('violations without a red edge', missing);
	const colour = await page.$eval('#service-map path[data-edge].violation', p => getComputedStyle(p).stroke);
	const m = /rgb\((\d+), (\d+), (\d+)\)/.exec(colour);
	if (!m || !(Number(m[1]) > 200 && Number(m[2]) < 140 && Number(m[3]) < 140))
		throw new Fail('a violation edge is drawn in ' + colour + ', not red');
	const anomalous = await page.$$eval('#service-map path[data-edge].anomaly', ps => ps.map(p => p.dataset.edge));
	const wantAnom = apiEdges.edges.filter(e => e.anomaly && !(e.verdict === 'denied' || e.violation_id !== null)).map(edgeKey);
	expectEqual('anomaly edges', sorted(anomalous), sorted(wantAnom));
});

await check('service-map-edge-info', async () => {
	const e = apiEdges.edges.find(x => x.violation_id !== null) || apiEdges.edges[0];
	const key = edgeKey(e);
	await page.$eval('#service-map path[data-edge="' + key.replace(/"/g, '\\"') + '"]',
		p => p.parentNode.dispatchEvent(new MouseEvent('click', {bubbles: true})));
	await page.waitForSelector('#edge-info[data-edge="' + key.replace(/"/g, '\\"') + '"]');
	const text = await page.textContent('#edge-info');
	if (!text.includes(String(e.flows)) || !text.includes(e.proto + '/' + e.port))
		throw new Fail('the edge panel does not show flows/proto/port', [text]);
	if (e.violation_id !== null) {
		await page.click('#edge-violation-link');
		await page.waitForSelector('#violation-detail[data-id="' + e.violation_id + '"]');
	}
});

await check('flows-table', async () => {
	const want = (await apiGet('/api/v1/flows', {limit: 100})).items.map(f => String(f.id));
	if (!want.length)
		throw new Fail('the API has no flows');
	await goto('flows');
	await waitRows('#flows', want);
	const denied = (await apiGet('/api/v1/flows', {limit: 100, verdict: 'denied'})).items.map(f => String(f.id));
	await page.selectOption('#flow-filters select[name="verdict"]', 'denied');
	await page.click('#flows-apply');
	await waitRows('#flows', denied);
});

await check('policies-of-endpoint', async () => {
	const eps = await apiAll('/api/v1/endpoints');
	if (!eps.length)
		throw new Fail('the API has no endpoints');
	await goto('policies');
	await waitRows('#endpoints', eps.slice(0, 100).map(e => e.id));
	let chosen = null, want = [];
	for (const ep of eps) {
		want = (await apiAll('/api/v1/policies', {endpoint: ep.id})).map(p => String(p.id));
		if (want.length) {
			chosen = ep;
			break;
		}
	}
	if (!chosen)
		throw new Fail('no endpoint is selected by any policy');
	await page.click('#endpoints tbody tr[data-id="' + chosen.id.replace(/"/g, '\\"') + '"]');
	await page.waitForSelector('#policies[data-endpoint="' + chosen.id.replace(/"/g, '\\"') + '"]');
	await waitRows('#policies', want);
});

await check('reopen', async () => {
	if (!target)
		throw new Fail('no violation was acknowledged');
	await goto('violations/' + target.id);
	await page.waitForSelector('#violation-detail[data-id="' + target.id + '"]');
	await page.click('#reopen');
	await page.waitForSelector('#detail-state[data-state="open"]');
	const now = await apiGet('/api/v1/violations/' + target.id);
	if (now.state !== 'open')
		throw new Fail('the API says ' + now.state + ' after Reopen');
});

await check('api-text-is-not-html', async () => {
	// the brand icon is the page's only image; API text never becomes markup
	const imgs = await page.$$eval('img', is => is.length);
	if (imgs !== 1)
		throw new Fail(imgs + ' <img> elements in the page');
});

// ---- screenshots: the violations view with a detail open, the map, the overview
await check('screenshot', async () => {
	const shot = opt.screenshot;
	mkdirSync(dirname(shot) || '.', {recursive: true});
	const first = apiViolations.find(v => v.reason === 'denied_both') || apiViolations[0];
	await goto('violations/' + first.id);
	await page.waitForSelector('#violation-detail[data-id="' + first.id + '"]');
	await page.screenshot({path: shot});
	await goto('map/since=0');
	await page.waitForSelector('#service-map path[data-edge]');
	await page.screenshot({path: shot.replace(/(\.png)?$/, '-map.png')});
	await goto('overview');
	await page.waitForFunction(() => document.querySelector('#stat-violations').textContent !== '–');
	await page.screenshot({path: shot.replace(/(\.png)?$/, '-overview.png')});
	console.log('# screenshots: ' + shot + ' and its -map, -overview siblings');
});

// after the screenshots: the live command changes the database
if (opt['live-cmd']) {
	await check('live-feed', async () => {
		await goto('overview');
		await page.waitForSelector('#stream-status[data-state="open"]');
		await page.waitForTimeout(300);
		const before = new Set((await apiAll('/api/v1/violations')).map(v => v.id));
		const r = spawnSync('/bin/sh', ['-c', opt['live-cmd']], {encoding: 'utf8', timeout: 60000});
		if (r.status !== 0 && r.status !== 1)
			throw new Fail('--live-cmd exited with ' + r.status, (r.stderr || '').split('\n').slice(-5));
		if (/ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:/.test(r.stderr || ''))
			throw new Fail('--live-cmd: sanitizer report', (r.stderr || '').split('\n').slice(0, 10));
		const added = (await apiAll('/api/v1/violations')).filter(v => !before.has(v.id)).map(v => String(v.id));
		if (!added.length)
			throw new Fail('--live-cmd added no violation');
		const feedIds = async () => page.$$eval('#live-feed li.fresh[data-kind="violation"]', ls => ls.map(l => l.dataset.id));
		const deadline = Date.now() + 10000;
		let got = [];
		while (Date.now() < deadline) {
			got = await feedIds();
			if (got.length >= added.length)
				break;
			await page.waitForTimeout(200);
		}
		expectEqual('new violations in the feed', sorted(got), sorted(added));
		const top = await page.$$eval('#live-feed li', ls => ls.slice(0, 1).map(l => l.dataset.id + ':' + l.classList.contains('fresh')));
		const newest = String(Math.max(...added.map(Number)));
		expectEqual('the feed\'s first entry', top, [newest + ':true']);
	});
} else {
	console.log('# live-feed: not checked (no --live-cmd)');
}

await check('no-console-errors-or-csp-violations', async () => {
	await page.waitForTimeout(300);
	if (problems.length)
		throw new Fail(problems.length + ' problem(s)', problems);
});

await browser.close();
console.log(passed + ' passed, ' + failed + ' failed');
process.exit(failed ? 1 : 0);
