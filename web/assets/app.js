// segwatch dashboard: the analysts' single page. Reads the JSON API
// (/api/v1/*, see api-contract.md), polls the stats, follows the event
// stream, and draws the chart and the service map itself in SVG.
//
// Rules this file keeps: plain ES2020, no framework, nothing fetched from
// outside the server; it runs under CSP default-src 'self', so no inline
// code, no eval, no style attributes. Every string that comes from the API
// is attacker-controlled (endpoint names, fw_prefix, labels...) and is only
// ever inserted as text (textContent / createTextNode / setAttribute of a
// non-event attribute), never as HTML.

const POLL_MS = 3000;
const FEED_MAX = 200;
// rows per request; ?page=N in the page's URL changes it (the browser test pages with it)
const PAGE = (() => {
	const n = Number(new URLSearchParams(location.search).get('page'));
	return Number.isInteger(n) && n >= 1 && n <= 1000 ? n : 100;
})();
const SVGNS = 'http://www.w3.org/2000/svg';
const TOKEN_KEY = 'segwatch.token';
const USER_KEY = 'segwatch.user';

// ---------------------------------------------------------------- DOM helpers

const $ = (sel, root = document) => root.querySelector(sel);

function setAttrs(node, attrs) {
	for (const [k, v] of Object.entries(attrs || {})) {
		if (v === null || v === undefined || v === false)
			continue;
		if (/^on/i.test(k))
			throw new Error('event-handler attributes are not allowed');
		if (k === 'class')
			node.setAttribute('class', Array.isArray(v) ? v.filter(Boolean).join(' ') : v);
		else if (k === 'dataset')
			for (const [dk, dv] of Object.entries(v))
				node.dataset[dk] = String(dv);
		else
			node.setAttribute(k, v === true ? '' : String(v));
	}
}

function append(node, children) {
	for (const c of children.flat()) {
		if (c === null || c === undefined || c === false)
			continue;
		node.append(c instanceof Node ? c : document.createTextNode(String(c)));
	}
	return node;
}

// el('td', {class: 'num'}, 'text', child...): an HTML element; strings are text.
function el(tag, attrs, ...children) {
	const node = document.createElement(tag);
	setAttrs(node, attrs);
	return append(node, children);
}

function svg(tag, attrs, ...children) {
	const node = document.createElementNS(SVGNS, tag);
	setAttrs(node, attrs);
	return append(node, children);
}

function clear(node) {
	while (node.firstChild)
		node.firstChild.remove();
	return node;
}

function setText(sel, text) {
	const n = typeof sel === 'string' ? $(sel) : sel;
	if (n)
		n.textContent = text;
}

// ---------------------------------------------------------------- formatting

const intFmt = new Intl.NumberFormat('en-US');

function fmtInt(n) {
	return typeof n === 'number' && Number.isFinite(n) ? intFmt.format(n) : '–';
}

function fmtRate(x) {
	if (typeof x !== 'number' || !Number.isFinite(x))
		return '–';
	return x >= 100 ? intFmt.format(Math.round(x)) : x.toFixed(1);
}

function fmtBytes(n) {
	if (typeof n !== 'number' || !Number.isFinite(n))
		return '–';
	const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
	let i = 0;
	while (n >= 1024 && i < units.length - 1) {
		n /= 1024;
		i++;
	}
	return (i === 0 ? String(n) : n.toFixed(n < 10 ? 1 : 0)) + ' ' + units[i];
}

const TIME_RE = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(\.\d+)?Z$/;

// "2026-11-25T13:25:04.634013000Z" -> "2026-11-25 13:25:04.634" (UTC).
function fmtTime(s) {
	if (typeof s !== 'string')
		return '–';
	const m = TIME_RE.exec(s);
	if (!m)
		return s;
	return m[1] + ' ' + m[2] + (m[3] ? m[3].slice(0, 4) : '');
}

function fmtClock(s) {
	const m = typeof s === 'string' ? TIME_RE.exec(s) : null;
	return m ? m[2].slice(0, 5) : '';
}

function protoPort(proto, port) {
	if (!proto)
		return '–';
	return port === null || port === undefined ? proto : proto + '/' + port;
}

const REASONS = {
	denied_ingress: 'denied ingress',
	denied_egress: 'denied egress',
	denied_both: 'denied both',
};

function stateClass(state) {
	return 'pill state-' + String(state || 'unknown').replace(/[^a-z]/g, '');
}

// "2026-11-25T13:25:04.634013000Z" -> "11-25 13:25:04.634" for narrow table cells.
function fmtTimeShort(s) {
	const t = fmtTime(s);
	return /^\d{4}-/.test(t) ? t.slice(5) : t;
}

// Text with a line-break opportunity after each "/" (ns/name wraps at the slash).
function slashBreaks(text) {
	const parts = String(text).split('/');
	return parts.flatMap((p, i) => (i < parts.length - 1 ? [p + '/', el('wbr')] : [p]));
}

// A cell naming an identity (endpoint id or address), with the IP in a tooltip.
function identCell(ident, ip) {
	return el('td', {title: ip && ip !== ident ? ident + ' (' + ip + ')' : ident}, slashBreaks(ident ?? ip ?? '–'));
}

// ---------------------------------------------------------------- session

function storageGet(store, key) {
	try {
		return store.getItem(key) || '';
	} catch (e) {
		return '';
	}
}

function storageSet(store, key, value) {
	try {
		if (value)
			store.setItem(key, value);
		else
			store.removeItem(key);
	} catch (e) {
		// storage disabled: the value only lives in the field
	}
}

function apiToken() {
	return $('#api-token').value.trim();
}

function userName() {
	return $('#user-name').value.trim();
}

function updateTokenState() {
	const set = apiToken() !== '';
	const pill = $('#token-state');
	pill.textContent = set ? 'token set' : 'no token';
	pill.className = 'pill ' + (set ? 'ok' : 'muted');
}

// ---------------------------------------------------------------- messages

let messageTimer = null;

function showMessage(text, kind = 'error') {
	const box = $('#message');
	setText('#message-text', text);
	box.className = 'message' + (kind === 'info' ? ' info' : '');
	box.dataset.kind = kind;
	clearTimeout(messageTimer);
	if (kind === 'info')
		messageTimer = setTimeout(hideMessage, 5000);
}

function hideMessage() {
	$('#message').className = 'message hidden';
	$('#message').dataset.kind = '';
}

// ---------------------------------------------------------------- API

class ApiError extends Error {
	constructor(status, code, message, parameter) {
		super(message);
		this.status = status;
		this.code = code;
		this.parameter = parameter || null;
	}
}

// api('/api/v1/violations', {params, method, body}) -> the parsed JSON.
// Empty parameters are left out; the token goes on every request when set.
async function api(path, opts = {}) {
	const url = new URL(path, location.origin);
	for (const [k, v] of Object.entries(opts.params || {})) {
		if (v !== '' && v !== null && v !== undefined)
			url.searchParams.set(k, String(v));
	}
	const headers = {Accept: 'application/json'};
	const token = apiToken();
	if (token)
		headers.Authorization = 'Bearer ' + token;
	const init = {method: opts.method || 'GET', headers, cache: 'no-store'};
	if (opts.body !== undefined) {
		headers['Content-Type'] = 'application/json';
		init.body = JSON.stringify(opts.body);
	}
	let resp;
	try {
		resp = await fetch(url, init);
	} catch (e) {
		throw new ApiError(0, 'network', 'cannot reach the segwatch server (' + e.message + ')');
	}
	const text = await resp.text();
	let doc = null;
	if (text) {
		try {
			doc = JSON.parse(text);
		} catch (e) {
			doc = null;
		}
	}
	if (!resp.ok) {
		const err = doc && typeof doc.error === 'object' ? doc.error : {};
		throw new ApiError(resp.status, err.code || 'http',
		                   err.message || 'HTTP ' + resp.status, err.parameter);
	}
	if (doc === null)
		throw new ApiError(resp.status, 'bad_response', 'the server did not answer JSON');
	return doc;
}

// A 401: asks for the token (reads too need it when the server has one).
function needToken(what, e) {
	const hint = apiToken() ?
		'the API token was refused: check it in the "API token" field at the top right.' :
		'the server needs the API token: enter it in the "API token" field at the top right.';
	showMessage(what + ': ' + hint + (e && e.message ? ' (server: ' + e.message + ')' : ''), 'error');
	$('#message').dataset.kind = 'unauthorized';
	$('#api-token').classList.add('needs-token');
	if (document.activeElement !== $('#api-token') && document.activeElement !== $('#user-name'))
		$('#api-token').focus();
}

function reportError(e, what) {
	if (e.status === 401) {
		needToken(what, e);
		return;
	}
	const param = e.parameter ? ' [' + e.parameter + ']' : '';
	showMessage(what + ': ' + e.message + param, 'error');
}

// Non-empty form fields as query parameters.
function formParams(form) {
	const p = {};
	for (const [k, v] of new FormData(form)) {
		const t = String(v).trim();
		if (t)
			p[k] = t;
	}
	return p;
}

// A paged list bound to a table: load(true) appends the next page.
class PagedTable {
	constructor({path, table, more, count, row, empty, noun}) {
		Object.assign(this, {path, row, empty, noun});
		this.tbody = $(table + ' tbody');
		this.more = $(more);
		this.count = $(count);
		this.cols = $(table).tHead.rows[0].cells.length;
		this.params = {};
		this.cursor = null;
		this.n = 0;
		this.seq = 0;
		this.more.addEventListener('click', () => this.load(true));
	}

	async load(append = false) {
		const seq = ++this.seq;
		const params = Object.assign({}, this.params, {limit: PAGE});
		if (append && this.cursor)
			params.cursor = this.cursor;
		this.more.disabled = true;
		let doc;
		try {
			doc = await api(this.path, {params});
		} catch (e) {
			if (seq === this.seq) {
				reportError(e, 'Loading ' + this.noun);
				this.more.disabled = false;
			}
			return;
		}
		if (seq !== this.seq)
			return;
		if (!append) {
			clear(this.tbody);
			this.n = 0;
		}
		for (const item of doc.items || []) {
			this.tbody.append(this.row(item));
			this.n++;
		}
		if (this.n === 0)
			this.tbody.append(el('tr', {class: 'empty-row'},
			                     el('td', {class: 'empty', colspan: this.cols}, this.empty)));
		this.cursor = doc.next_cursor || null;
		this.more.classList.toggle('hidden', !this.cursor);
		this.more.disabled = false;
		this.count.textContent = fmtInt(this.n) + ' ' + this.noun + (this.cursor ? ' shown, more available' : '');
	}
}

// ---------------------------------------------------------------- tabs and routing

const views = {};

function showTab(name) {
	if (!views[name])
		name = 'overview';
	for (const b of document.querySelectorAll('.tabs button'))
		b.setAttribute('aria-selected', String(b.dataset.tab === name));
	for (const key of Object.keys(views))
		$('#view-' + key).classList.toggle('hidden', key !== name);
	const v = views[name];
	if (!v.loaded) {
		v.loaded = true;
		v.load();
	}
	document.body.dataset.tab = name;
}

// #violations/12, #flows/violation=12, #map, ...
function route() {
	const h = location.hash.replace(/^#/, '');
	const slash = h.indexOf('/');
	const name = slash < 0 ? h : h.slice(0, slash);
	const dec = t => {
		try {
			return decodeURIComponent(t);
		} catch (e) {
			return t;
		}
	};
	const arg = slash < 0 ? '' : h.slice(slash + 1);
	// filters in the fragment (#flows/src=a&port=5432) are set before the view loads
	const forms = {flows: '#flow-filters', map: '#map-filters'};
	let reload = false;
	if (forms[name] && arg) {
		const form = $(forms[name]);
		for (const f of form.elements) {
			if (f.name)
				f.value = '';
		}
		for (const part of arg.split('&')) {
			const eq = part.indexOf('=');
			const k = dec(eq < 0 ? part : part.slice(0, eq));
			const input = form.elements[k];
			if (input && input.name)
				input.value = eq < 0 ? '' : dec(part.slice(eq + 1));
		}
		reload = views[name] && views[name].loaded;
	}
	showTab(name || 'overview');
	if (reload)
		views[name].load();
	if (name === 'violations' && /^\d+$/.test(arg))
		openViolation(Number(arg));
}

// ---------------------------------------------------------------- overview

let statsTimer = null;

async function pollStats() {
	try {
		renderStats(await api('/api/v1/stats'));
	} catch (e) {
		setText('#stats-updated', 'stats unavailable: ' + e.message);
		$('#stats-updated').className = 'verdict-denied';
		if (e.status === 401 && $('#message').dataset.kind !== 'unauthorized')
			needToken('Reading the statistics', e);
	} finally {
		clearTimeout(statsTimer);
		statsTimer = setTimeout(pollStats, POLL_MS);
	}
}

function renderStats(s) {
	const rates = s.rates || {};
	setText('#stat-packets-rate', s.live ? fmtRate(rates.packets_per_s) : '–');
	setText('#stat-flows-rate', s.live ? fmtRate(rates.flows_per_s) : '–');
	setText('#stat-packets', fmtInt(s.packets) + ' packets' + (s.live ? '' : ' (not live)'));
	setText('#stat-flows', fmtInt(s.flows_judged ?? s.flows) + ' flows judged');
	setText('#stat-drops', fmtInt(s.drops));
	const drops = Object.entries(s.drops_by_reason || {}).filter(([, n]) => n > 0)
		.map(([k, n]) => k + ' ' + fmtInt(n));
	setText('#stat-drops-sub', drops.length ? drops.join(', ') : 'none by reason');
	$('#stat-drops').classList.toggle('verdict-denied', s.drops > 0);
	setText('#stat-active-flows', fmtInt(s.active_flows));
	const st = s.store;
	setText('#stat-store', st ? 'store backlog ' + fmtInt(st.backlog) +
	        (st.failed_batches ? ', ' + fmtInt(st.failed_batches) + ' failed batches' : '') :
	        (s.live ? '' : 'not live'));
	setText('#stat-violations-open', fmtInt(s.violations_open));
	setText('#stat-violations', fmtInt(s.violations));
	const byReason = Object.entries(s.violations_by_reason || {})
		.map(([k, n]) => (REASONS[k] || k) + ' ' + fmtInt(n));
	setText('#stat-violations-sub', byReason.join(', ') || 'none');
	setText('#stat-anomalies', fmtInt(s.anomalies));
	const run = s.run;
	let info = s.live ? 'live' : 'database';
	if (run)
		info += ' · run ' + run.id + (run.sources ? ' · ' + run.sources : '') + (run.ended ? ' (ended)' : '');
	setText('#run-info', info);
	$('#stats-updated').className = 'muted';
	setText('#stats-updated', 'updated ' + fmtClock(s.now) + ' UTC');
	renderChart(Array.isArray(s.series) ? s.series : []);
}

// Flows per minute as a line (left axis), violations per minute as bars (right axis).
function renderChart(series) {
	const chart = clear($('#series-chart'));
	const W = 760, H = 260, L = 44, R = 40, T = 12, B = 26;
	const pw = W - L - R, ph = H - T - B;
	if (series.length === 0) {
		chart.append(svg('text', {x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'chart-label'},
		                 'no data in the last 60 minutes'));
		return;
	}
	if (series.every(p => !p.flows && !p.violations))
		chart.append(svg('text', {x: W / 2, y: T + ph / 2, 'text-anchor': 'middle', class: 'chart-label'},
		                 'no flows or violations in the last 60 minutes'));
	const maxF = niceMax(Math.max(...series.map(p => p.flows || 0)));
	const maxV = niceMax(Math.max(...series.map(p => p.violations || 0)));
	const n = series.length;
	const step = pw / n;
	const x = i => L + step * (i + 0.5);
	const yF = v => T + ph - (v / maxF) * ph;
	const yV = v => T + ph - (v / maxV) * ph;
	for (const frac of [0, 0.5, 1]) {
		const y = T + ph - frac * ph;
		chart.append(svg('line', {x1: L, x2: L + pw, y1: y, y2: y, class: frac === 0 ? 'chart-axis' : 'chart-grid'}));
		chart.append(svg('text', {x: L - 6, y: y + 4, 'text-anchor': 'end', class: 'chart-label'}, fmtInt(maxF * frac)));
		chart.append(svg('text', {x: L + pw + 6, y: y + 4, class: 'chart-label'}, fmtInt(maxV * frac)));
	}
	const bw = Math.max(1, step * 0.6);
	for (let i = 0; i < n; i++) {
		const v = series[i].violations || 0;
		if (v > 0)
			chart.append(svg('rect', {x: x(i) - bw / 2, y: yV(v), width: bw, height: T + ph - yV(v), class: 'chart-bar'}));
	}
	const pts = series.map((p, i) => x(i).toFixed(1) + ',' + yF(p.flows || 0).toFixed(1));
	chart.append(svg('path', {class: 'chart-flows-area',
		d: 'M' + x(0).toFixed(1) + ',' + (T + ph) + ' L' + pts.join(' L') + ' L' + x(n - 1).toFixed(1) + ',' + (T + ph) + ' Z'}));
	chart.append(svg('path', {class: 'chart-flows', d: 'M' + pts.join(' L')}));
	for (const i of [0, Math.floor(n / 2), n - 1])
		chart.append(svg('text', {x: x(i), y: H - 8, 'text-anchor': 'middle', class: 'chart-label'}, fmtClock(series[i].t)));
	for (let i = 0; i < n; i++) {
		const p = series[i];
		chart.append(svg('rect', {x: L + step * i, y: T, width: step, height: ph, class: 'chart-hit'},
			svg('title', null, fmtClock(p.t) + ' UTC: ' + fmtInt(p.flows || 0) + ' flows, ' +
			    fmtInt(p.violations || 0) + ' violations')));
	}
}

function niceMax(v) {
	if (!(v > 0))
		return 1;
	const p = Math.pow(10, Math.floor(Math.log10(v)));
	for (const m of [1, 2, 2.5, 5, 10]) {
		if (m * p >= v)
			return m * p;
	}
	return 10 * p;
}

// ---------------------------------------------------------------- live feed

const feedSeen = new Set();

function setStreamStatus(state, text) {
	const s = $('#stream-status');
	s.dataset.state = state;
	s.textContent = text;
	s.className = 'pill ' + (state === 'open' ? 'ok' : state === 'closed' ? 'bad' : 'warn');
}

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

// A Server-Sent Events client on fetch(): unlike EventSource it can send
// the Authorization header. Like EventSource it reconnects after `retry`
// ms and resends the last event id as Last-Event-ID, so nothing is missed.
class EventStream {
	constructor(url, onEvent) {
		this.url = url;
		this.onEvent = onEvent;
		this.lastId = '';
		this.retry = 2000;
		this.gen = 0;
		this.ctrl = null;
	}

	start() {
		this.stop();
		this.ctrl = new AbortController();
		this.loop(++this.gen, this.ctrl.signal);
	}

	stop() {
		this.gen++;
		if (this.ctrl)
			this.ctrl.abort();
		this.ctrl = null;
	}

	async loop(gen, signal) {
		setStreamStatus('connecting', 'connecting');
		while (gen === this.gen) {
			try {
				const headers = {Accept: 'text/event-stream'};
				const token = apiToken();
				if (token)
					headers.Authorization = 'Bearer ' + token;
				if (this.lastId)
					headers['Last-Event-ID'] = this.lastId;
				const resp = await fetch(this.url, {headers, signal, cache: 'no-store'});
				if (resp.status === 401) {
					// restarted when the token changes
					setStreamStatus('closed', 'needs token');
					resp.body?.cancel().catch(() => {});
					return;
				}
				const type = resp.headers.get('Content-Type') || '';
				if (!resp.ok || !type.startsWith('text/event-stream') || !resp.body)
					throw new Error('HTTP ' + resp.status);
				setStreamStatus('open', 'live');
				await this.read(resp.body.getReader(), gen);
			} catch (e) {
				if (signal.aborted)
					return;
			}
			if (gen !== this.gen)
				return;
			setStreamStatus('connecting', 'reconnecting');
			await sleep(this.retry);
		}
	}

	async read(reader, gen) {
		const dec = new TextDecoder();
		const ev = {type: '', data: []};
		let buf = '';
		while (gen === this.gen) {
			const {value, done} = await reader.read();
			if (done)
				return;
			buf += dec.decode(value, {stream: true});
			let m;
			while ((m = /\r\n|\r|\n/.exec(buf)) !== null) {
				const line = buf.slice(0, m.index);
				buf = buf.slice(m.index + m[0].length);
				this.line(line, ev);
			}
		}
		reader.cancel().catch(() => {});
	}

	// One line of the stream (the HTML standard's event-stream rules).
	line(line, ev) {
		if (line === '') {
			if (ev.data.length)
				this.onEvent(ev.type || 'message', ev.data.join('\n'));
			ev.type = '';
			ev.data = [];
			return;
		}
		if (line.startsWith(':'))
			return;
		const colon = line.indexOf(':');
		const name = colon < 0 ? line : line.slice(0, colon);
		let value = colon < 0 ? '' : line.slice(colon + 1);
		if (value.startsWith(' '))
			value = value.slice(1);
		if (name === 'event')
			ev.type = value;
		else if (name === 'data')
			ev.data.push(value);
		else if (name === 'id' && !value.includes('\0'))
			this.lastId = value;
		else if (name === 'retry' && /^\d+$/.test(value))
			this.retry = Math.max(500, Number(value));
	}
}

const stream = new EventStream('/api/v1/stream', (type, data) => {
	if (type !== 'violation' && type !== 'anomaly')
		return;
	let item;
	try {
		item = JSON.parse(data);
	} catch (e) {
		return;
	}
	addFeed(type, item, true);
});

function feedText(kind, item) {
	const what = protoPort(item.proto, item.port);
	if (kind === 'violation')
		return (item.src ?? item.src_ip) + ' → ' + (item.dst ?? item.dst_ip) + ' ' + what + ' · ' +
			(REASONS[item.reason] || item.reason);
	const score = typeof item.score === 'number' ? ' · score ' + item.score.toFixed(2) : '';
	return String(item.kind).replace(/_/g, ' ') + ': ' + item.src + (item.dst ? ' → ' + item.dst : '') +
		(item.proto ? ' ' + what : '') + score;
}

function addFeed(kind, item, fresh) {
	if (!item || typeof item.id !== 'number')
		return;
	const key = kind + ':' + item.id;
	if (feedSeen.has(key))
		return;
	feedSeen.add(key);
	const when = kind === 'violation' ? item.last_seen || item.first_seen : item.detected;
	const text = feedText(kind, item);
	const li = el('li', {class: fresh ? 'fresh' : null, dataset: {kind, id: item.id, when: when || ''}},
		el('span', {class: 'feed-kind'}, kind === 'violation' ? 'violation' : 'anomaly'),
		el('span', {class: 'feed-time', title: when || ''}, fmtTime(when)),
		el('span', {class: 'feed-text'},
		   kind === 'violation' ? el('a', {href: '#violations/' + item.id}, '#' + item.id + ' ' + text) : text));
	const feed = $('#live-feed');
	// newest first: a fresh event goes on top; seeded rows are placed by time
	let before = feed.firstChild;
	if (!fresh) {
		while (before && (before.dataset.when || '') >= (when || ''))
			before = before.nextSibling;
	}
	feed.insertBefore(li, before);
	while (feed.children.length > FEED_MAX) {
		const last = feed.lastChild;
		feedSeen.delete(last.dataset.kind + ':' + last.dataset.id);
		last.remove();
	}
	$('#live-feed-empty').classList.add('hidden');
}

// The latest rows, so the feed is not empty before the first event.
async function seedFeed() {
	try {
		const [v, a] = await Promise.all([
			api('/api/v1/violations', {params: {limit: 10}}),
			api('/api/v1/anomalies', {params: {limit: 10}}),
		]);
		for (const item of v.items || [])
			addFeed('violation', item, false);
		for (const item of a.items || [])
			addFeed('anomaly', item, false);
	} catch (e) {
		// the feed still fills from the stream
	}
}

// The token changed: everything that may have answered 401 is fetched again.
function tokenChanged() {
	updateTokenState();
	$('#api-token').classList.remove('needs-token');
	if ($('#message').dataset.kind === 'unauthorized')
		hideMessage();
	const current = document.body.dataset.tab;
	for (const [name, v] of Object.entries(views)) {
		if (name === current)
			v.load();
		else
			v.loaded = false;
	}
	pollStats();
	if (feedSeen.size === 0)
		seedFeed();
	stream.start();
}

// ---------------------------------------------------------------- violations

let violations = null;
let detail = null;

function violationRow(v) {
	const tr = el('tr', {class: 'clickable', tabindex: 0, dataset: {id: v.id, state: v.state}},
		el('td', {class: 'num'}, String(v.id)),
		el('td', {class: 'time', title: v.last_seen}, fmtTimeShort(v.last_seen)),
		identCell(v.src, v.src_ip),
		identCell(v.dst, v.dst_ip),
		el('td', {class: 'mono'}, protoPort(v.proto, v.port)),
		el('td', {class: 'reason'}, REASONS[v.reason] || v.reason),
		el('td', {class: 'num'}, fmtInt(v.flows)),
		el('td', null, el('span', {class: stateClass(v.state)}, v.state)));
	if (detail && detail.id === v.id)
		tr.classList.add('selected');
	const open = () => openViolation(v.id);
	tr.addEventListener('click', open);
	tr.addEventListener('keydown', ev => {
		if (ev.key === 'Enter')
			open();
	});
	return tr;
}

function searchViolations() {
	violations.params = formParams($('#violation-filters'));
	violations.load(false);
}

let detailSeq = 0;

async function openViolation(id) {
	const seq = ++detailSeq;
	let v;
	try {
		v = await api('/api/v1/violations/' + encodeURIComponent(id));
	} catch (e) {
		if (seq === detailSeq)
			reportError(e, 'Loading violation #' + id);
		return;
	}
	if (seq !== detailSeq)
		return;
	detail = v;
	renderDetail();
	for (const tr of document.querySelectorAll('#violations tbody tr'))
		tr.classList.toggle('selected', tr.dataset.id === String(id));
	if (location.hash !== '#violations/' + id)
		history.replaceState(null, '', '#violations/' + id);
}

function field(dl, name, ...value) {
	dl.append(el('dt', null, name), el('dd', null, ...value));
}

function renderDetail() {
	const v = detail;
	$('#detail-placeholder').classList.add('hidden');
	$('#detail-body').classList.remove('hidden');
	$('#violation-detail').dataset.id = String(v.id);
	setText('#detail-title', 'Violation #' + v.id);
	const st = $('#detail-state');
	st.textContent = v.state;
	st.className = stateClass(v.state);
	st.dataset.state = v.state;
	setText('#detail-summary', v.summary || '');
	const dl = clear($('#detail-fields'));
	field(dl, 'Source', v.src ?? '–', v.src_ip && v.src_ip !== v.src ? el('span', {class: 'muted'}, ' ' + v.src_ip) : null);
	field(dl, 'Destination', v.dst ?? '–', v.dst_ip && v.dst_ip !== v.dst ? el('span', {class: 'muted'}, ' ' + v.dst_ip) : null);
	field(dl, 'Protocol/port', protoPort(v.proto, v.port));
	field(dl, 'Reason', REASONS[v.reason] || v.reason);
	field(dl, 'First seen', fmtTime(v.first_seen) + ' UTC');
	field(dl, 'Last seen', fmtTime(v.last_seen) + ' UTC');
	field(dl, 'Flows', fmtInt(v.flows));
	field(dl, 'Packets →/←', fmtInt(v.src_pkts) + ' / ' + fmtInt(v.dst_pkts));
	field(dl, 'Bytes →/←', fmtBytes(v.src_bytes) + ' / ' + fmtBytes(v.dst_bytes));
	if (v.fw_verdict || v.fw_prefix)
		field(dl, 'Firewall', (v.fw_verdict || '') + (v.fw_prefix ? ' "' + v.fw_prefix + '"' : ''));
	if (v.state_changed)
		field(dl, 'State changed', fmtTime(v.state_changed) + ' UTC');
	if (v.acknowledged_by)
		field(dl, 'Acknowledged by', v.acknowledged_by);
	if (v.resolved_by)
		field(dl, 'Resolved by', v.resolved_by);
	renderExplanation(v);
	renderSampleFlows(v.sample_flows || []);
	$('#detail-flows-link').setAttribute('href', '#flows/violation=' + v.id);
	updateActionButtons();
}

function updateActionButtons() {
	const s = detail ? detail.state : null;
	$('#ack').disabled = s !== 'open';
	$('#resolve').disabled = s === 'resolved' || s === null;
	$('#reopen').disabled = s === 'open' || s === null;
}

function policyName(p) {
	return (p.namespace ? p.namespace + '/' : '') + p.name;
}

function where(file, line) {
	return file ? el('span', {class: 'where'}, ' ' + file + (line ? ':' + line : '')) : null;
}

// One side of the explanation: egress of the source or ingress of the destination.
function renderSide(dir, side, subject, peer, what) {
	const box = el('div', {class: 'side', dataset: {side: dir, allowed: String(!!side.allowed)}});
	const title = (dir === 'egress' ? 'Egress of ' : 'Ingress of ') + (side.endpoint || subject);
	box.append(el('div', {class: 'side-head'}, el('span', null, title),
		el('span', {class: side.allowed ? 'pill ok' : 'pill bad'}, side.allowed ? 'allows' : 'denies')));
	if (!side.endpoint)
		box.append(el('p', {class: 'muted'}, subject + ' is outside the inventory: no policy applies to it.'));
	const pols = Array.isArray(side.policies) ? side.policies : [];
	if (!side.isolated) {
		box.append(el('p', {class: 'fine'}, 'Not isolated for ' + dir +
			': no policy selects it for ' + dir + ', so all ' + dir + ' is allowed.'));
	} else {
		box.append(el('div', null, 'Isolated for ' + dir + ' by:'),
			el('ul', {class: 'policies'}, pols.map(p => el('li', null, policyName(p), where(p.file, p.line)))));
	}
	const rules = Array.isArray(side.rules) ? side.rules : [];
	if (rules.length) {
		box.append(el('div', null, 'Admitted by:'),
			el('ul', {class: 'rules'}, rules.map(r => el('li', null,
				policyName(r) + ' ' + (r.direction || dir) + ' rule ' + (Number(r.index) + 1),
				where(r.file, r.line)))));
	} else if (side.isolated && !side.allowed) {
		box.append(el('p', {class: 'why'}, 'No ' + dir + ' rule of ' +
			(pols.length === 1 ? 'this policy' : 'these ' + pols.length + ' policies') + ' admits ' +
			peer + ' on ' + what + '.'));
	}
	return box;
}

function renderExplanation(v) {
	const box = clear($('#explanation'));
	const ex = v.explanation;
	if (!ex || typeof ex !== 'object') {
		box.append(el('p', {class: 'muted'}, 'No explanation stored for this violation.'));
		return;
	}
	const what = protoPort(ex.proto || v.proto, ex.port ?? v.port);
	const src = v.src || ex.src, dst = v.dst || ex.dst;
	if (ex.egress && typeof ex.egress === 'object')
		box.append(renderSide('egress', ex.egress, src, dst, what));
	if (ex.ingress && typeof ex.ingress === 'object')
		box.append(renderSide('ingress', ex.ingress, dst, src, what));
	box.append(el('details', {class: 'raw'}, el('summary', null, 'explanation as JSON'),
		el('pre', null, JSON.stringify(ex, null, 2))));
}

function renderSampleFlows(flows) {
	const tbody = clear($('#sample-flows tbody'));
	if (!flows.length) {
		tbody.append(el('tr', null, el('td', {class: 'empty', colspan: 6}, 'no stored sample flows (pruned?)')));
		return;
	}
	for (const f of flows) {
		tbody.append(el('tr', {dataset: {id: f.id ?? f.flow_id}},
			el('td', {class: 'time', title: f.first_seen}, fmtTime(f.first_seen)),
			el('td', {class: 'mono'}, f.src_ip + (f.src_port !== undefined && f.src_port !== null ? ':' + f.src_port : '')),
			el('td', {class: 'mono'}, f.dst_ip + (f.dst_port !== undefined && f.dst_port !== null ? ':' + f.dst_port : '')),
			el('td', {class: 'num'}, fmtInt(f.src_pkts) + ' / ' + fmtInt(f.dst_pkts)),
			el('td', {class: 'num'}, fmtBytes(f.src_bytes) + ' / ' + fmtBytes(f.dst_bytes)),
			el('td', null, f.tcp_state || f.end_reason || '')));
	}
}

const ACTION_DONE = {ack: 'acknowledged', resolve: 'resolved', reopen: 'reopened'};

async function violationAction(action) {
	if (!detail)
		return;
	const id = detail.id;
	const by = userName();
	for (const b of ['#ack', '#resolve', '#reopen'])
		$(b).disabled = true;
	try {
		const item = await api('/api/v1/violations/' + id + '/' + action,
		                       {method: 'POST', body: by ? {by} : {}});
		if (detail && detail.id === id) {
			Object.assign(detail, item);
			renderDetail();
		}
		const old = document.querySelector('#violations tbody tr[data-id="' + id + '"]');
		if (old)
			old.replaceWith(violationRow(item));
		showMessage('Violation #' + id + ' ' + ACTION_DONE[action] + (by ? ' by ' + by : '') + '.', 'info');
		pollStats();
	} catch (e) {
		const verb = {ack: 'Acknowledging', resolve: 'Resolving', reopen: 'Reopening'}[action];
		reportError(e, verb + ' violation #' + id);
	} finally {
		updateActionButtons();
	}
}

// ---------------------------------------------------------------- service map

const MAP = {nodeW: 172, nodeH: 30, rowGap: 34, colGap: 84, pad: 14, head: 28, groupGap: 26, colSpace: 76};
const EXTERNAL = '\u0000external';
let mapPinned = null;

let mapSeq = 0;

async function loadMap() {
	const seq = ++mapSeq;
	const params = formParams($('#map-filters'));
	let doc;
	try {
		doc = await api('/api/v1/edges', {params});
	} catch (e) {
		if (seq === mapSeq)
			reportError(e, 'Loading the service map');
		return;
	}
	if (seq === mapSeq)
		renderMap(doc);
}

// Longest-path layers of a graph (ids sorted, back edges ignored): deterministic.
function layers(ids, edges) {
	const out = new Map(ids.map(id => [id, []]));
	for (const [a, b] of edges) {
		if (out.has(a) && out.has(b) && a !== b && !out.get(a).includes(b))
			out.get(a).push(b);
	}
	for (const list of out.values())
		list.sort();
	const order = [], mark = new Map();
	const visit = id => {
		mark.set(id, 1);
		for (const b of out.get(id)) {
			if (!mark.has(b))
				visit(b);
		}
		mark.set(id, 2);
		order.push(id);
	};
	const hasIn = new Set();
	for (const list of out.values())
		for (const b of list)
			hasIn.add(b);
	for (const id of [...ids].sort((a, b) => (hasIn.has(a) - hasIn.has(b)) || (a < b ? -1 : a > b ? 1 : 0))) {
		if (!mark.has(id))
			visit(id);
	}
	order.reverse(); // a topological order of the graph without its back edges
	const pos = new Map(order.map((id, i) => [id, i]));
	const layer = new Map(ids.map(id => [id, 0]));
	for (const a of order) {
		for (const b of out.get(a)) {
			if (pos.get(b) > pos.get(a))
				layer.set(b, Math.max(layer.get(b), layer.get(a) + 1));
		}
	}
	return layer;
}

function cmp(a, b) {
	return a < b ? -1 : a > b ? 1 : 0;
}

// Namespaces are groups placed in columns by the namespace graph's layers
// (externals in the last column); inside a group, nodes sit in sub-columns by
// the group's own layers and in rows by name.
function layoutMap(doc) {
	const nodes = new Map();
	for (const n of doc.nodes || [])
		nodes.set(n.id, n);
	const edges = (doc.edges || []).filter(e => e && e.src !== undefined && e.dst !== undefined);
	for (const e of edges) {
		for (const id of [e.src, e.dst]) {
			if (!nodes.has(id))
				nodes.set(id, {id, kind: 'external', ns: null, name: id, labels: {}});
		}
	}
	const groupOf = n => (n.kind === 'external' || !n.ns ? EXTERNAL : n.ns);
	const groups = new Map();
	for (const n of nodes.values()) {
		const g = groupOf(n);
		if (!groups.has(g))
			groups.set(g, []);
		groups.get(g).push(n);
	}
	const nsIds = [...groups.keys()].filter(g => g !== EXTERNAL).sort(cmp);
	const nsEdges = edges.map(e => [groupOf(nodes.get(e.src)), groupOf(nodes.get(e.dst))]);
	const nsLayer = layers(nsIds, nsEdges);
	let maxCol = 0;
	for (const l of nsLayer.values())
		maxCol = Math.max(maxCol, l);
	if (groups.has(EXTERNAL))
		nsLayer.set(EXTERNAL, nsIds.length ? Math.max(maxCol, 1) : 0);

	const boxes = new Map(); // group -> {w, h, sub: [[node...]...]}
	for (const [g, members] of groups) {
		const ids = members.map(n => n.id);
		const inner = edges.filter(e => groupOf(nodes.get(e.src)) === g && groupOf(nodes.get(e.dst)) === g)
			.map(e => [e.src, e.dst]);
		const lay = g === EXTERNAL ? new Map(ids.map(id => [id, 0])) : layers(ids, inner);
		const sub = [];
		for (const n of members) {
			const l = lay.get(n.id);
			(sub[l] = sub[l] || []).push(n);
		}
		const cols = sub.filter(Boolean).map(c => c.sort((a, b) => cmp(a.name || a.id, b.name || b.id) || cmp(a.id, b.id)));
		const rows = Math.max(...cols.map(c => c.length));
		boxes.set(g, {
			cols,
			w: Math.max(groupLabel(g).length * 7.5 + 2 * MAP.pad,
			            cols.length * MAP.nodeW + (cols.length - 1) * MAP.colGap + 2 * MAP.pad),
			h: MAP.head + rows * (MAP.nodeH + MAP.rowGap) - MAP.rowGap + 2 * MAP.pad,
		});
	}
	const columns = [];
	for (const [g, l] of nsLayer)
		(columns[l] = columns[l] || []).push(g);
	const pos = new Map(); // node id -> {x, y, w, h}
	const groupRects = [];
	let x = 10, height = 0;
	for (const col of columns.filter(Boolean)) {
		col.sort((a, b) => (a === EXTERNAL) - (b === EXTERNAL) || cmp(a, b));
		let y = 10, colW = 0;
		for (const g of col) {
			const box = boxes.get(g);
			groupRects.push({g, x, y, w: box.w, h: box.h});
			box.cols.forEach((c, ci) => c.forEach((n, ri) => pos.set(n.id, {
				x: x + MAP.pad + ci * (MAP.nodeW + MAP.colGap),
				y: y + MAP.head + MAP.pad + ri * (MAP.nodeH + MAP.rowGap),
				w: MAP.nodeW, h: MAP.nodeH,
			})));
			y += box.h + MAP.groupGap;
			colW = Math.max(colW, box.w);
		}
		height = Math.max(height, y - MAP.groupGap);
		x += colW + MAP.colSpace;
	}
	return {nodes, edges, pos, groupRects, width: x - MAP.colSpace + 10, height: height + 10};
}

function groupLabel(g) {
	return g === EXTERNAL ? 'outside the inventory' : g;
}

function edgeKey(e) {
	return [e.src, e.dst, e.proto, e.port].join('|');
}

function edgeClass(e) {
	if (e.verdict === 'denied' || e.violation_id !== null && e.violation_id !== undefined)
		return 'violation';
	if (e.anomaly)
		return 'anomaly';
	return e.baseline ? 'baseline' : 'normal';
}

// A cubic Bezier from node a to node b; k spreads parallel edges apart.
function edgePath(a, b, k) {
	const ay = a.y + a.h / 2 + k, by = b.y + b.h / 2 + k;
	let x1, x2, c1, c2;
	if (b.x > a.x + 1) {
		x1 = a.x + a.w;
		x2 = b.x;
		const bend = Math.max(30, (x2 - x1) / 2);
		c1 = x1 + bend;
		c2 = x2 - bend;
	} else if (b.x < a.x - 1) {
		x1 = a.x;
		x2 = b.x + b.w;
		const bend = Math.max(30, (x1 - x2) / 2);
		c1 = x1 - bend;
		c2 = x2 + bend;
	} else {
		x1 = a.x + a.w;
		x2 = b.x + b.w;
		const bend = 28 + Math.abs(by - ay) * 0.25 + Math.abs(k);
		c1 = x1 + bend;
		c2 = x2 + bend;
	}
	const f = v => v.toFixed(1);
	const mid = {
		x: 0.125 * x1 + 0.375 * c1 + 0.375 * c2 + 0.125 * x2,
		y: 0.5 * ay + 0.5 * by,
	};
	return {d: 'M' + f(x1) + ',' + f(ay) + ' C' + f(c1) + ',' + f(ay) + ' ' + f(c2) + ',' + f(by) + ' ' + f(x2) + ',' + f(by), mid};
}

function renderMap(doc) {
	const map = clear($('#service-map'));
	mapPinned = null;
	map.classList.remove('map-dim');
	const lay = layoutMap(doc);
	setText('#map-note', fmtInt(lay.nodes.size) + ' nodes, ' + fmtInt(lay.edges.length) + ' edges' +
	        (doc.truncated ? ' (truncated: narrow the filter)' : ''));
	if (lay.nodes.size === 0) {
		map.setAttribute('viewBox', '0 0 600 80');
		map.setAttribute('width', '600');
		map.setAttribute('height', '80');
		map.append(svg('text', {x: 20, y: 40, class: 'chart-label'},
		               'no flows observed in this range: choose a longer one above'));
		return;
	}
	map.setAttribute('viewBox', '0 0 ' + lay.width + ' ' + lay.height);
	map.setAttribute('width', String(lay.width));
	map.setAttribute('height', String(lay.height));
	const defs = svg('defs');
	for (const c of ['normal', 'baseline', 'anomaly', 'violation']) {
		defs.append(svg('marker', {id: 'arrow-' + c, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 9,
		                          markerHeight: 9, markerUnits: 'userSpaceOnUse', orient: 'auto-start-reverse'},
			svg('path', {d: 'M0,0 L10,5 L0,10 z', class: 'arrow-' + c})));
	}
	map.append(defs);
	for (const r of lay.groupRects) {
		map.append(svg('g', {class: 'ns', dataset: {ns: r.g === EXTERNAL ? '' : r.g}},
			svg('rect', {x: r.x, y: r.y, width: r.w, height: r.h, rx: 6,
			             class: r.g === EXTERNAL ? 'ns-box external' : 'ns-box'}),
			svg('text', {x: r.x + MAP.pad, y: r.y + 19, class: 'ns-label'}, groupLabel(r.g),
			    svg('title', null, r.g === EXTERNAL ? 'addresses outside the inventory' : 'namespace ' + r.g))));
	}
	// parallel edges between the same two nodes (either direction) are spread apart
	const pairs = new Map();
	for (const e of lay.edges) {
		const pk = [e.src, e.dst].sort().join('\u0000');
		if (!pairs.has(pk))
			pairs.set(pk, []);
		pairs.get(pk).push(e);
	}
	const edgeLayer = svg('g', {class: 'edges'});
	const labelLayer = svg('g', {class: 'edge-labels'});
	const violating = new Set();
	const ordered = [...lay.edges].sort((a, b) => {
		const rank = {normal: 0, baseline: 1, anomaly: 2, violation: 3};
		return rank[edgeClass(a)] - rank[edgeClass(b)] || cmp(edgeKey(a), edgeKey(b));
	});
	for (const e of ordered) {
		const group = pairs.get([e.src, e.dst].sort().join('\u0000'));
		group.sort((a, b) => cmp(edgeKey(a), edgeKey(b)));
		const k = (group.indexOf(e) - (group.length - 1) / 2) * 7;
		const cls = edgeClass(e);
		if (cls === 'violation') {
			violating.add(e.src);
			violating.add(e.dst);
		}
		const a = lay.pos.get(e.src), b = lay.pos.get(e.dst);
		const p = e.src === e.dst ?
			{d: 'M' + (a.x + a.w) + ',' + (a.y + 8) + ' c40,-30 40,44 0,14', mid: {x: a.x + a.w + 30, y: a.y + 15}} :
			edgePath(a, b, k);
		const classes = ['edge', cls === 'normal' ? 'allowed' : cls];
		if (e.anomaly && cls !== 'anomaly')
			classes.push('anomaly-too');
		const g = svg('g', {class: 'edge-group', dataset: {src: e.src, dst: e.dst}},
			svg('title', null, edgeTitle(e)),
			svg('path', {d: p.d, class: 'edge-hit'}),
			svg('path', {d: p.d, class: classes, 'marker-end': 'url(#arrow-' + cls + ')', dataset: {
				edge: edgeKey(e), verdict: e.verdict || '', violationId: e.violation_id ?? '',
				anomaly: String(!!e.anomaly), baseline: String(!!e.baseline)}}));
		g.addEventListener('mouseenter', () => showEdge(e));
		g.addEventListener('mouseleave', () => showEdge(mapPinned));
		g.addEventListener('click', ev => {
			ev.stopPropagation();
			for (const s of map.querySelectorAll('.edge-group.selected'))
				s.classList.remove('selected');
			g.classList.add('selected');
			mapPinned = e;
			showEdge(e);
		});
		edgeLayer.append(g);
		if (lay.edges.length <= 80) {
			const label = protoPort(e.proto, e.port);
			const w = label.length * 6.2 + 6;
			labelLayer.append(svg('rect', {x: p.mid.x - w / 2, y: p.mid.y - 7, width: w, height: 13, rx: 3,
			                               class: 'edge-label-bg'}),
				svg('text', {x: p.mid.x, y: p.mid.y + 3.5, 'text-anchor': 'middle',
				             class: 'edge-label ' + cls}, label));
		}
	}
	map.append(edgeLayer, labelLayer);
	for (const n of lay.nodes.values()) {
		const r = lay.pos.get(n.id);
		const name = n.kind === 'external' || !n.ns ? n.id : n.name || n.id;
		const short = name.length > 22 ? name.slice(0, 21) + '…' : name;
		const labels = Object.entries(n.labels || {}).map(([k, v]) => k + '=' + v).join(', ');
		const g = svg('g', {class: ['node', n.kind === 'external' ? 'external' : null,
		                            violating.has(n.id) ? 'has-violation' : null], dataset: {node: n.id}},
			svg('title', null, n.id + (labels ? '\n' + labels : '')),
			svg('rect', {x: r.x, y: r.y, width: r.w, height: r.h, rx: 4}),
			svg('text', {x: r.x + 10, y: r.y + r.h / 2 + 4}, short));
		g.addEventListener('click', ev => {
			ev.stopPropagation();
			focusNode(n.id);
		});
		map.append(g);
	}
	showEdge(null);
}

function clearFocus() {
	const map = $('#service-map');
	map.classList.remove('map-dim');
	for (const n of map.querySelectorAll('.node.focus, .edge-group.related'))
		n.classList.remove('focus', 'related');
}

function focusNode(id) {
	const map = $('#service-map');
	const already = map.querySelector('.node.focus');
	const same = already && already.dataset.node === id;
	for (const n of map.querySelectorAll('.node.focus'))
		n.classList.remove('focus');
	for (const g of map.querySelectorAll('.edge-group'))
		g.classList.toggle('related', !same && (g.dataset.src === id || g.dataset.dst === id));
	map.classList.toggle('map-dim', !same);
	if (!same)
		map.querySelector('.node[data-node="' + CSS.escape(id) + '"]').classList.add('focus');
}

function edgeTitle(e) {
	return e.src + ' → ' + e.dst + ' ' + protoPort(e.proto, e.port) + '\n' + fmtInt(e.flows) + ' flows, ' +
		fmtBytes(e.bytes) + ', ' + (e.verdict || '?') +
		(e.violation_id !== null && e.violation_id !== undefined ? ', violation #' + e.violation_id : '') +
		(e.anomaly ? ', anomaly' : '') + (e.baseline ? ', in the baseline' : '');
}

function showEdge(e) {
	const box = clear($('#edge-info'));
	if (!e) {
		box.append(el('h2', null, 'Edge'), el('p', {class: 'muted'}, 'Hover or click an edge for its details; click a node to highlight its edges.'));
		return;
	}
	box.dataset.edge = edgeKey(e);
	const dl = el('dl', {class: 'fields'});
	field(dl, 'From', e.src);
	field(dl, 'To', e.dst);
	field(dl, 'Protocol/port', protoPort(e.proto, e.port));
	field(dl, 'Flows', fmtInt(e.flows));
	field(dl, 'Bytes', fmtBytes(e.bytes));
	field(dl, 'Verdict', el('span', {class: 'verdict-' + (e.verdict === 'denied' ? 'denied' : 'allowed')}, e.verdict || '–'));
	field(dl, 'Anomaly', e.anomaly ? 'yes' : 'no');
	field(dl, 'Baseline', e.baseline ? 'yes' : 'no');
	if (e.violation_id !== null && e.violation_id !== undefined)
		field(dl, 'Violation', el('a', {id: 'edge-violation-link', href: '#violations/' + e.violation_id}, '#' + e.violation_id));
	const q = [['src', e.src], ['dst', e.dst], ['proto', e.proto || ''], ['port', e.port ?? ''],
		['since', $('#map-filters').elements.since.value]];
	const flowsLink = el('a', {href: '#flows/' + q.map(([k, v]) => k + '=' + encodeURIComponent(v)).join('&')},
		'flows on this edge');
	box.append(el('h2', null, 'Edge'), dl, el('p', null, flowsLink));
}

// ---------------------------------------------------------------- flows

let flows = null;

function flowRow(f) {
	const ep = (id, ip, port) => el('td', {title: ip + (port !== null && port !== undefined ? ':' + port : '')},
		id && id !== ip ? id : '', id && id !== ip ? el('br') : null,
		el('span', {class: 'mono muted'}, ip + (port !== null && port !== undefined ? ':' + port : '')));
	return el('tr', {dataset: {id: f.id}},
		el('td', {class: 'time', title: f.last_seen}, fmtTimeShort(f.last_seen)),
		ep(f.src, f.src_ip, f.src_port),
		ep(f.dst, f.dst_ip, f.dst_port),
		el('td', {class: 'mono'}, f.proto + (f.vlan !== null && f.vlan !== undefined ? ' vlan ' + f.vlan : '')),
		el('td', {class: 'num'}, fmtInt(f.src_pkts) + ' / ' + fmtInt(f.dst_pkts)),
		el('td', {class: 'num'}, fmtBytes(f.src_bytes) + ' / ' + fmtBytes(f.dst_bytes)),
		el('td', null, f.tcp_state || ''),
		el('td', null, f.end_reason || ''),
		el('td', null, el('span', {class: 'verdict-' + (f.verdict === 'denied' ? 'denied' : 'allowed')}, f.verdict || ''),
		   f.violation_id !== null && f.violation_id !== undefined ?
		   [' ', el('a', {href: '#violations/' + f.violation_id}, '#' + f.violation_id)] : null,
		   f.fw_verdict ? el('div', {class: 'muted'}, 'fw ' + f.fw_verdict + (f.fw_prefix ? ' "' + f.fw_prefix + '"' : '')) : null));
}

function searchFlows() {
	flows.params = formParams($('#flow-filters'));
	flows.load(false);
}

// ---------------------------------------------------------------- endpoints and policies

let endpoints = null;
let policySeq = 0;

function endpointRow(ep) {
	const labels = Object.entries(ep.labels || {}).map(([k, v]) => k + '=' + v);
	const ports = (ep.ports || []).map(p => typeof p === 'object' && p ?
		(p.name ? p.name + ' ' : '') + (p.protocol ? String(p.protocol).toLowerCase() + '/' : '') + p.port : String(p));
	const tr = el('tr', {class: 'clickable', tabindex: 0, dataset: {id: ep.id}},
		el('td', null, ep.id),
		el('td', null, ep.kind || ''),
		el('td', {class: 'mono'}, labels.join(', ')),
		el('td', {class: 'mono'}, (ep.addresses || []).join(', ')),
		el('td', {class: 'mono'}, ports.join(', ')));
	const open = () => showPolicies(ep.id);
	tr.addEventListener('click', open);
	tr.addEventListener('keydown', ev => {
		if (ev.key === 'Enter')
			open();
	});
	return tr;
}

async function showPolicies(endpointId) {
	const seq = ++policySeq;
	for (const tr of document.querySelectorAll('#endpoints tbody tr'))
		tr.classList.toggle('selected', tr.dataset.id === endpointId);
	let doc;
	try {
		doc = await api('/api/v1/policies', {params: {endpoint: endpointId, limit: 1000}});
	} catch (e) {
		if (seq === policySeq)
			reportError(e, 'Loading the policies of ' + endpointId);
		return;
	}
	if (seq !== policySeq)
		return;
	setText('#policies-title', 'Policies selecting ' + endpointId);
	const items = doc.items || [];
	setText('#policies-hint', items.length ? fmtInt(items.length) + ' policies select this endpoint.' :
		'No policy selects this endpoint: it is not isolated (all traffic allowed).');
	const tbody = clear($('#policies tbody'));
	$('#policies').dataset.endpoint = endpointId;
	for (const p of items) {
		tbody.append(el('tr', {dataset: {id: p.id}},
			el('td', null, (p.ns ? p.ns + '/' : '') + p.name),
			el('td', null, p.origin || ''),
			el('td', {class: 'mono'}, (p.file || '') + (p.line ? ':' + p.line : '')),
			el('td', {class: 'mono'}, (p.selects || []).join(', '))));
	}
}

// ---------------------------------------------------------------- start

function init() {
	views.overview = {load: () => {}};
	views.violations = {load: searchViolations};
	views.map = {load: loadMap};
	views.flows = {load: searchFlows};
	views.policies = {load: () => {
		endpoints.params = formParams($('#endpoint-filters'));
		endpoints.load(false);
	}};
	violations = new PagedTable({path: '/api/v1/violations', table: '#violations', more: '#violations-more',
		count: '#violations-count', row: violationRow, empty: 'No violations match.', noun: 'violations'});
	flows = new PagedTable({path: '/api/v1/flows', table: '#flows', more: '#flows-more',
		count: '#flows-count', row: flowRow, empty: 'No flows match.', noun: 'flows'});
	endpoints = new PagedTable({path: '/api/v1/endpoints', table: '#endpoints', more: '#endpoints-more',
		count: '#endpoints-count', row: endpointRow, empty: 'No endpoints in the inventory.', noun: 'endpoints'});

	const token = $('#api-token');
	token.value = storageGet(sessionStorage, TOKEN_KEY);
	let tokenTimer = null;
	token.addEventListener('input', () => {
		storageSet(sessionStorage, TOKEN_KEY, token.value.trim());
		updateTokenState();
		clearTimeout(tokenTimer);
		tokenTimer = setTimeout(tokenChanged, 400);
	});
	updateTokenState();
	const user = $('#user-name');
	user.value = storageGet(localStorage, USER_KEY);
	user.addEventListener('input', () => storageSet(localStorage, USER_KEY, user.value.trim()));
	$('#message-close').addEventListener('click', hideMessage);

	for (const b of document.querySelectorAll('.tabs button')) {
		b.addEventListener('click', () => {
			if (location.hash === '#' + b.dataset.tab)
				showTab(b.dataset.tab);
			else
				location.hash = b.dataset.tab;
		});
	}
	const onSubmit = (sel, fn) => {
		const form = $(sel);
		form.addEventListener('submit', ev => {
			ev.preventDefault();
			fn();
		});
		form.addEventListener('reset', () => setTimeout(fn, 0));
	};
	onSubmit('#violation-filters', searchViolations);
	onSubmit('#flow-filters', searchFlows);
	onSubmit('#map-filters', loadMap);
	onSubmit('#endpoint-filters', views.policies.load);
	$('#ack').addEventListener('click', () => violationAction('ack'));
	$('#resolve').addEventListener('click', () => violationAction('resolve'));
	$('#reopen').addEventListener('click', () => violationAction('reopen'));
	$('#service-map').addEventListener('click', clearFocus);
	window.addEventListener('hashchange', route);
	route();
	pollStats();
	seedFeed();
	stream.start();
	document.body.dataset.ready = 'true';
}

init();
