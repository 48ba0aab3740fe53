// The status page's HTML, CSS and script, served as one document at GET / on the control port.
#include "server/status_page.h"

namespace meridian::server {

namespace {

// Why it is shaped this way:
//  - Self-contained, with a Content-Security-Policy that allows only inline code and fetches to
//    its own origin: it must work on a host with no network, and cannot leak a request elsewhere.
//  - Server data reaches the DOM only through textContent and setAttribute, never innerHTML:
//    profile and endpoint names come from a config file and the page must not run them.
//  - It fetches the relative URL v1/status, so it works behind a reverse proxy's path prefix.
//  - It polls with setTimeout after each reply rather than setInterval, so a slow server never
//    has two requests from one tab in flight.
//  - Ages are measured against the server's "now" (corrected for the time since the reply), so
//    a browser whose clock is off still shows the right "12 s ago".
//  - When a fetch fails it keeps the last data on screen, faded, under an error banner: during
//    an incident the last known state is worth more than a blank page.
//  - Rows carry data-profile, data-endpoint, data-status and data-override; the system test and
//    any scraper read those instead of the presentation.
constexpr std::string_view page = R"html(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy"
      content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self';
               img-src data:; base-uri 'none'; form-action 'none'">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>Meridian status</title>
<style>
:root {
  --bg: #f4f6f9; --panel: #ffffff; --text: #1c2330; --muted: #637083; --faint: #94a0b2;
  --line: #e2e7ee; --head: #f8f9fb; --accent: #2f5fd0;
  --mono: ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", Menlo, Consolas, monospace;
  --online: #1b7f3b;     --online-bg: #e3f5e8;
  --degraded: #b42318;   --degraded-bg: #fde8e6;
  --checking: #935f00;   --checking-bg: #fff1cc;
  --disabled: #4b5565;   --disabled-bg: #e6e9ee;
  --inactive: #6b7483;   --inactive-bg: #eef0f3;
  --stopped: #3d4451;    --stopped-bg: #dcdfe5;
  --notmon: #2557a7;     --notmon-bg: #e4edfb;
  --forced: #6b3fc0;     --forced-bg: #efe8fb;
  --drain-edge: #3b4250; --drain-a: #eceef2; --drain-b: #f6f7f9;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #11151c; --panel: #181d26; --text: #e3e8ef; --muted: #9aa5b5; --faint: #6c7788;
    --line: #2a313d; --head: #1d232d; --accent: #7aa2ff;
    --online: #5fd38a;   --online-bg: #163222;
    --degraded: #ff8a80; --degraded-bg: #3d1a18;
    --checking: #f5c451; --checking-bg: #3a2d0c;
    --disabled: #b4bcc8; --disabled-bg: #2b313b;
    --inactive: #98a1ae; --inactive-bg: #242a33;
    --stopped: #c9ced6;  --stopped-bg: #353c47;
    --notmon: #8fb4ff;   --notmon-bg: #1a2942;
    --forced: #c3a5ff;   --forced-bg: #2c2142;
    --drain-edge: #aab3c0; --drain-a: #1f242d; --drain-b: #262c36;
  }
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; background: var(--bg); color: var(--text);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "DejaVu Sans", Arial,
        sans-serif;
}
.wrap { max-width: 1440px; margin: 0 auto; padding: 0 24px; }
.mono, code { font-family: var(--mono); font-size: 12.5px; }
.muted { color: var(--muted); }
.faint { color: var(--faint); }
h1, h2, h3 { margin: 0; font-weight: 650; }

/* Header */
header.top { background: var(--panel); border-bottom: 1px solid var(--line); }
.bar { display: flex; align-items: center; justify-content: space-between; gap: 16px; padding: 14px 0 10px; }
.brand { display: flex; align-items: baseline; gap: 10px; }
.brand h1 { font-size: 20px; letter-spacing: -0.01em; }
.brand .logo { width: 14px; height: 14px; border-radius: 50%; align-self: center;
               background: conic-gradient(var(--accent) 0 25%, transparent 0 50%, var(--accent) 0 75%,
                                          transparent 0);
               border: 2px solid var(--accent); }
.refresh { display: flex; align-items: center; gap: 8px; color: var(--muted); font-size: 13px; }
.dot { width: 9px; height: 9px; border-radius: 50%; background: var(--faint); flex: none; }
.dot.live { background: var(--online); box-shadow: 0 0 0 3px var(--online-bg); }
.dot.down { background: var(--degraded); box-shadow: 0 0 0 3px var(--degraded-bg); }
.cards { display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: 12px; padding: 4px 0 12px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; background: var(--head);
        min-width: 0; }
.card .label { font-size: 11.5px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); }
.card .value { font-size: 22px; font-weight: 650; margin-top: 2px; font-variant-numeric: tabular-nums; }
.card .sub { font-size: 12.5px; color: var(--muted); white-space: nowrap; overflow: hidden;
             text-overflow: ellipsis; }
.value.good { color: var(--online); }
.value.bad { color: var(--degraded); }
.value.warn { color: var(--checking); }
dl.meta { display: flex; flex-wrap: wrap; gap: 4px 28px; margin: 0; padding: 0 0 14px; font-size: 13px; }
dl.meta div { display: flex; gap: 8px; min-width: 0; }
dl.meta dt { color: var(--muted); }
dl.meta dd { margin: 0; overflow-wrap: anywhere; }

/* Banners */
.banner { margin: 16px 0 0; padding: 10px 14px; border-radius: 8px; border: 1px solid; font-size: 13.5px; }
.banner strong { margin-right: 6px; }
.banner.error { background: var(--degraded-bg); border-color: var(--degraded); color: var(--degraded); }
.banner.warn { background: var(--checking-bg); border-color: var(--checking); color: var(--text); }
.banner .detail { font-family: var(--mono); font-size: 12.5px; overflow-wrap: anywhere; }
body.stale main { opacity: .6; filter: grayscale(.35); transition: opacity .2s; }

/* Overview */
.overview { display: flex; flex-wrap: wrap; align-items: center; gap: 8px; margin: 18px 0 4px;
            color: var(--muted); font-size: 13px; }
.overview .count { display: inline-flex; align-items: center; gap: 6px; }

/* Profiles */
section.profile, section.changes { background: var(--panel); border: 1px solid var(--line);
                                   border-radius: 10px; margin: 16px 0; overflow: hidden; }
.phead { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 14px; padding: 14px 16px 10px; }
.phead h2 { font-size: 17px; }
.phead .fqdn { font-family: var(--mono); font-size: 13px; color: var(--muted); }
.phead .spacer { flex: 1; }
.tag { display: inline-block; padding: 1px 8px; border-radius: 999px; border: 1px solid var(--line);
       font-size: 12px; color: var(--muted); background: var(--head); white-space: nowrap; }
.tag.bad { color: var(--degraded); border-color: var(--degraded); background: var(--degraded-bg); }
.tag.warn { color: var(--checking); border-color: var(--checking); background: var(--checking-bg); }
.tag.good { color: var(--online); border-color: transparent; background: var(--online-bg); }
.answers { display: flex; flex-wrap: wrap; gap: 8px 28px; padding: 0 16px 12px; }
.answer { display: flex; align-items: baseline; gap: 8px; font-size: 13px; min-width: 0; }
.answer .qtype { font-size: 11px; font-weight: 700; letter-spacing: .04em; color: var(--accent);
                 border: 1px solid var(--accent); border-radius: 4px; padding: 0 5px; }
.answer .records { font-family: var(--mono); font-size: 13px; overflow-wrap: anywhere; }
.answer .none { font-style: italic; color: var(--muted); }
.answer .rcode { font-weight: 700; color: var(--degraded); }
.answer .via { color: var(--muted); font-size: 12.5px; }
.scroll { overflow-x: auto; }
table { width: 100%; border-collapse: collapse; font-size: 13px; }
th { text-align: left; font-weight: 600; font-size: 11.5px; text-transform: uppercase; letter-spacing: .05em;
     color: var(--muted); background: var(--head); padding: 7px 10px; border-top: 1px solid var(--line);
     border-bottom: 1px solid var(--line); white-space: nowrap; }
td { padding: 8px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
tbody tr:last-child td { border-bottom: none; }
td .sub { display: block; font-size: 12px; font-weight: 400; color: var(--muted); margin-top: 1px; }
td.name { font-weight: 600; white-space: nowrap; }
td.target { overflow-wrap: anywhere; }
td.target .address { white-space: nowrap; }
/* One column grid for every profile, so the tables line up down the page. */
table.endpoints { table-layout: fixed; min-width: 1060px; }
table.endpoints td { overflow-wrap: anywhere; }
table.endpoints td.when, table.endpoints td.name { overflow-wrap: normal; }
td.reason { color: var(--muted); max-width: 320px; overflow-wrap: anywhere; }
td.when, td .sub time { white-space: nowrap; font-variant-numeric: tabular-nums; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
.empty { padding: 14px 16px; color: var(--muted); font-style: italic; }
.chip { display: inline-block; font-size: 10.5px; font-weight: 700; letter-spacing: .05em;
        text-transform: uppercase; color: var(--online); background: var(--online-bg); border-radius: 4px;
        padding: 0 5px; margin-left: 6px; vertical-align: 1px; }

/* Status pills: colour plus text, never colour alone. */
.pill { display: inline-flex; align-items: center; gap: 6px; padding: 1px 9px 1px 7px; border-radius: 999px;
        font-size: 12.5px; font-weight: 600; white-space: nowrap; color: var(--muted);
        background: var(--head); border: 1px solid transparent; }
.pill::before { content: ""; width: 7px; height: 7px; border-radius: 50%; background: currentColor;
                flex: none; }
.pill.small { font-size: 11.5px; font-weight: 500; padding: 0 7px 0 6px; background: transparent;
              border-color: currentColor; }
.st-online { color: var(--online); background: var(--online-bg); }
.st-degraded { color: var(--degraded); background: var(--degraded-bg); }
.st-checking { color: var(--checking); background: var(--checking-bg); }
.st-disabled { color: var(--disabled); background: var(--disabled-bg); }
.st-inactive { color: var(--inactive); background: var(--inactive-bg); }
.st-stopped { color: var(--stopped); background: var(--stopped-bg); }
.st-notmonitored { color: var(--notmon); background: var(--notmon-bg); }
.pill.small.st-online, .pill.small.st-degraded, .pill.small.st-checking, .pill.small.st-disabled,
.pill.small.st-inactive, .pill.small.st-stopped, .pill.small.st-notmonitored { background: transparent; }
.ok { color: var(--online); font-weight: 700; }
.fail { color: var(--degraded); font-weight: 700; }

/* Rows that need a second look: a red or amber edge; a drain is striped and labelled. */
tr.ep td:first-child { box-shadow: inset 3px 0 0 transparent; }
tr.ep[data-status="Degraded"] td:first-child { box-shadow: inset 3px 0 0 var(--degraded); }
tr.ep[data-status="CheckingEndpoint"] td:first-child { box-shadow: inset 3px 0 0 var(--checking); }
tr.ep[data-override="force-up"] td:first-child { box-shadow: inset 5px 0 0 var(--forced); }
tr.ep[data-override="drain"] td {
  /* fixed: the stripes run on across cell borders instead of restarting in each cell */
  background: repeating-linear-gradient(-45deg, var(--drain-a) 0 10px, var(--drain-b) 10px 20px) fixed;
}
tr.ep[data-override="drain"] td:first-child { box-shadow: inset 5px 0 0 var(--drain-edge); }
tr.ep[data-override="drain"] td.name, tr.ep[data-override="drain"] td.target { color: var(--muted); }
.ovr { display: inline-block; border-radius: 4px; padding: 1px 8px; font-size: 11.5px; font-weight: 800;
       letter-spacing: .07em; text-transform: uppercase; white-space: nowrap; }
.ovr-drain { background: var(--drain-edge); color: var(--panel); }
.ovr-force-up { background: var(--forced-bg); color: var(--forced); border: 1px solid var(--forced); }
.arrow { color: var(--faint); padding: 0 4px; }

footer { color: var(--faint); font-size: 12px; padding: 8px 0 28px; }
@media (max-width: 900px) {
  .cards { grid-template-columns: repeat(2, minmax(0, 1fr)); }
  .wrap { padding: 0 12px; }
}
</style>
</head>
<body>
<header class="top">
  <div class="wrap">
    <div class="bar">
      <div class="brand"><span class="logo" aria-hidden="true"></span><h1>Meridian</h1>
        <span class="muted" id="version"></span></div>
      <div class="refresh" aria-live="polite">
        <span class="dot" id="live-dot"></span><span id="refreshed">Loading&hellip;</span>
      </div>
    </div>
    <div class="cards">
      <div class="card"><div class="label">Readiness</div><div class="value" id="ready">&mdash;</div>
        <div class="sub" id="ready-detail"></div></div>
      <div class="card"><div class="label">Config generation</div>
        <div class="value" id="generation">&mdash;</div>
        <div class="sub" id="loaded-at"></div></div>
      <div class="card"><div class="label">Last reload</div><div class="value" id="reload">&mdash;</div>
        <div class="sub" id="reload-detail"></div></div>
      <div class="card"><div class="label">Health generation</div>
        <div class="value" id="health-generation">&mdash;</div>
        <div class="sub" id="uptime"></div></div>
    </div>
    <dl class="meta">
      <div><dt>Config file</dt><dd class="mono" id="config-file">&mdash;</dd></div>
      <div><dt>State file</dt><dd class="mono" id="state-file">&mdash;</dd></div>
      <div><dt>Started</dt><dd id="started">&mdash;</dd></div>
    </dl>
  </div>
</header>
<div class="wrap">
  <div class="banner error" id="fetch-error" role="alert" hidden></div>
  <div class="banner warn" id="reload-error" hidden></div>
  <noscript>
    <div class="banner error">This page needs JavaScript; the same data is at <code>/v1/status</code>.</div>
  </noscript>
  <main>
    <div class="overview" id="overview"></div>
    <div id="profiles"></div>
    <section class="changes">
      <div class="phead"><h2>Recent changes</h2><span class="muted" id="changes-count"></span></div>
      <div class="scroll"><table>
        <thead><tr><th>When</th><th>Profile</th><th>Endpoint</th><th>Change</th><th>Reason</th></tr></thead>
        <tbody id="changes"></tbody>
      </table></div>
    </section>
  </main>
  <footer>Read-only view of <code>GET /v1/status</code>, refreshed every 2 s. Times are UTC.</footer>
</div>
<script>
'use strict';
(() => {
  const REFRESH_MS = 2000;
  const FETCH_TIMEOUT_MS = 5000;
  const STATUS_CLASS = {
    Online: 'st-online',
    Degraded: 'st-degraded',
    CheckingEndpoint: 'st-checking',
    Disabled: 'st-disabled',
    Inactive: 'st-inactive',
    Stopped: 'st-stopped',
    NotMonitored: 'st-notmonitored',
  };
  const OVERRIDE_TEXT = {drain: 'drained', 'force-up': 'forced up'};
  // Endpoint, target, status, probe status, override, reason, last probe, last change (percent).
  const COLUMN_WIDTHS = [14, 12, 13, 12, 10, 15, 14, 10];

  let last = null;   // the last status that rendered
  let skewMs = 0;    // browser clock minus server clock, from the last reply
  let failures = 0;  // fetches failed in a row

  // DOM building: text goes in as text nodes, attributes through setAttribute, never as markup.
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === 'class')
        node.className = value;
      else
        node.setAttribute(key, value === true ? '' : String(value));
    }
    add(node, children);
    return node;
  }
  function add(node, ...children) {
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      if (Array.isArray(child))
        add(node, ...child);
      else
        node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
  }
  function setText(id, text) {
    document.getElementById(id).textContent = text;
  }
  function setClass(id, cls) {
    document.getElementById(id).className = cls;
  }

  // Times: the server sends ISO 8601 UTC; we show ages against the server's clock.
  function parse(iso) {
    const t = iso ? Date.parse(iso) : NaN;
    return Number.isFinite(t) ? t : null;
  }
  function serverNow() {
    return Date.now() - skewMs;
  }
  function duration(ms) {
    let s = Math.max(0, Math.round(ms / 1000));
    if (s < 60) return s + ' s';
    const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
    s %= 60;
    if (d) return d + ' d ' + h + ' h';
    if (h) return h + ' h ' + m + ' min';
    return m + ' min ' + s + ' s';
  }
  function ago(t) {
    return t === null ? '' : duration(serverNow() - t) + ' ago';
  }
  function utc(t) {
    return new Date(t).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  }
  function clock(t) {
    return new Date(t).toISOString().slice(11, 19);
  }
  // "3 s ago" with the exact time on hover; a dash when there is no time.
  function when(iso, fallback) {
    const t = parse(iso);
    if (t === null) return el('span', {class: 'faint'}, fallback || '\u2014');
    return el('time', {datetime: iso, title: utc(t)}, ago(t));
  }

  function pill(status, small) {
    const cls = STATUS_CLASS[status] || '';
    return el('span', {class: 'pill ' + cls + (small ? ' small' : '')}, status || 'unknown');
  }
  function plural(n, word) {
    return n + ' ' + word + (n === 1 ? '' : 's');
  }

  function renderHeader(s) {
    setText('version', s.version ? 'v' + s.version : '');
    const config = s.config || {};
    setText('generation', config.generation ?? '\u2014');
    const loaded = parse(config.loaded_at);
    setText('loaded-at', loaded === null ? '' : 'loaded ' + clock(loaded) + ' \u00b7 ' + ago(loaded));
    setText('config-file', config.file || '\u2014');
    setText('state-file', s.state_file || 'none');
    const started = parse(s.started_at);
    setText('started', started === null ? '\u2014' : utc(started));
    setText('health-generation', s.health_generation ?? '\u2014');
    setText('uptime', started === null ? '' : 'up ' + duration(serverNow() - started));

    const profiles = s.profiles || [];
    const waiting = profiles.filter((p) => p.enabled !== false && p.ready === false).map((p) => p.name);
    setText('ready', s.ready ? 'Ready' : 'Not ready');
    setClass('ready', 'value ' + (s.ready ? 'good' : 'warn'));
    setText(
        'ready-detail',
        waiting.length ? 'waiting for first verdicts: ' + waiting.join(', ') :
                         plural(profiles.length, 'profile') + ' answering');

    const reload = s.last_reload;
    const banner = document.getElementById('reload-error');
    banner.replaceChildren();
    banner.hidden = true;
    if (!reload) {
      setText('reload', 'None');
      setClass('reload', 'value');
      setText('reload-detail', 'no reload since start');
      return;
    }
    const at = parse(reload.at);
    setText('reload', reload.ok ? 'OK' : 'Failed');
    setClass('reload', 'value ' + (reload.ok ? 'good' : 'bad'));
    const parts = [];
    if (at !== null) parts.push(clock(at) + ' \u00b7 ' + ago(at));
    if (reload.took_ms !== undefined && reload.took_ms !== null) parts.push(reload.took_ms + ' ms');
    if (s.reloads) parts.push(s.reloads.ok + ' ok, ' + s.reloads.failed + ' failed');
    setText('reload-detail', parts.join(' \u00b7 '));
    if (!reload.ok || reload.restart_needed) {
      add(banner, el('strong', null, reload.ok ? 'Restart needed.' : 'Last reload failed.'));
      if (!reload.ok) {
        add(banner, 'Still serving generation ' + (config.generation ?? '?') + '. ');
        add(banner, el('span', {class: 'detail'}, reload.error || 'no reason given'));
      } else {
        add(banner, 'The last reload changed settings that only take effect after a restart.');
      }
      banner.hidden = false;
    }
  }

  function renderOverview(profiles) {
    const counts = {};
    let drained = 0, forced = 0, endpoints = 0;
    for (const p of profiles)
      for (const e of p.endpoints || []) {
        ++endpoints;
        counts[e.status] = (counts[e.status] || 0) + 1;
        if (e.override === 'drain') ++drained;
        if (e.override === 'force-up') ++forced;
      }
    const items = [el(
        'span', null,
        plural(profiles.length, 'profile') + ', ' + plural(endpoints, 'endpoint') + (endpoints ? ':' : ''))];
    for (const status of Object.keys(STATUS_CLASS))
      if (counts[status])
        items.push(el('span', {class: 'count'}, pill(status, true), String(counts[status])));
    if (drained) items.push(el('span', {class: 'ovr ovr-drain'}, drained + ' drained'));
    if (forced) items.push(el('span', {class: 'ovr ovr-force-up'}, forced + ' forced up'));
    document.getElementById('overview').replaceChildren(...items);
  }

  function renderAnswer(qtype, answer) {
    const row = el('div', {class: 'answer', 'data-qtype': qtype}, el('span', {class: 'qtype'}, qtype));
    if (!answer) {
      add(row, el('span', {class: 'none'}, 'unknown'));
      return row;
    }
    if (answer.rcode && answer.rcode !== 'NOERROR') add(row, el('span', {class: 'rcode'}, answer.rcode));
    const records = answer.records || [];
    if (answer.kind === 'nodata' || !records.length) {
      if (!answer.rcode || answer.rcode === 'NOERROR') add(row, el('span', {class: 'none'}, 'NODATA'));
    } else {
      add(row,
          el('span', {class: 'records'}, (answer.kind === 'cname' ? 'CNAME ' : '') + records.join(', ')));
    }
    if ((answer.endpoints || []).length)
      add(row, el('span', {class: 'via'}, 'from ' + answer.endpoints.join(', ')));
    return row;
  }

  // What distinguishes an endpoint under this routing method: its priority, weight, region...
  function methodDetail(method, e) {
    switch (method) {
      case 'priority':
        return 'priority ' + e.priority;
      case 'weighted':
        return 'weight ' + e.weight;
      case 'geographic':
        return (e.geo || []).join(', ');
      case 'subnet':
        return (e.subnets || []).join(', ');
      case 'performance':
        return e.location || '';
      default:
        return '';
    }
  }

  function renderTarget(e) {
    if (e.kind === 'nested') {
      const child = e.child_profile || '?';
      return el(
          'td', {class: 'target'}, el('span', {class: 'muted'}, 'profile '),
          el('a', {href: '#profile-' + encodeURIComponent(child)}, child));
    }
    const resolved =
        (e.resolved || []).length ? el('span', {class: 'sub mono'}, '\u2192 ' + e.resolved.join(', ')) : null;
    return el(
        'td', {class: 'target'},
        el('span', {class: 'mono' + (e.kind === 'address' ? ' address' : '')}, e.target ?? '\u2014'),
        resolved);
  }

  function renderProbe(e) {
    const probe = e.last_probe;
    const m = e.monitor;
    const title = m ? m.protocol + ' :' + m.port + (m.path || '') + ' every ' + duration(m.interval_ms) +
            ', timeout ' + duration(m.timeout_ms) + ', tolerates ' + m.tolerated_failures + ' failures' :
                      null;
    const cell = el('td', {class: 'probe', title: title});
    if (!probe) {
      add(cell, el('span', {class: 'faint'}, m ? 'pending' : 'not probed'));
      return cell;
    }
    add(cell, el('span', {class: probe.ok ? 'ok' : 'fail'}, probe.ok ? '\u2713 ok' : '\u2717 failed'), ' ',
        el('span', null, probe.reason || ''), el('span', {class: 'sub'}, when(probe.at)));
    return cell;
  }

  function renderEndpoint(p, e, answering) {
    const override = OVERRIDE_TEXT[e.override] ? e.override : 'none';
    const row = el('tr', {
      class: 'ep',
      'data-profile': p.name,
      'data-endpoint': e.name,
      'data-status': e.status,
      'data-override': override
    });
    const detail = [
      methodDetail(p.method, e), e.always_serve ? 'always serve' : '',
      e.enabled === false ? 'disabled in config' : ''
    ].filter(Boolean).join(' \u00b7 ');
    add(row,
        el('td', {class: 'name'}, e.name,
           answering.has(e.name) ? el('span', {class: 'chip'}, 'in answer') : null,
           detail ? el('span', {class: 'sub'}, detail) : null));
    add(row, renderTarget(e));
    add(row, el('td', {class: 'status'}, pill(e.status)));
    const probeCell = el('td', {class: 'probe-status'}, e.probe_status ? pill(e.probe_status, true) : null);
    if (e.sites && e.combined) {  // replication: the votes of the live sites, each site's in the title
      const each = Object.entries(e.sites).map(([site, verdict]) => site + ': ' + verdict).join(', ');
      add(probeCell, el('span', {class: 'sub sites', title: each},
                        'sites ' + e.combined.online + ' online \u00b7 ' + e.combined.degraded + ' degraded'));
    }
    add(row, probeCell);
    const overrideCell = el('td', {class: 'override'});
    if (override !== 'none') {
      const since = parse(e.override_since);
      add(overrideCell,
          el('span', {class: 'ovr ovr-' + override, title: since === null ? null : 'since ' + utc(since)},
             OVERRIDE_TEXT[override]));
    }
    add(row, overrideCell);
    add(row, el('td', {class: 'reason'}, e.reason || ''));
    add(row, renderProbe(e));
    add(row, el('td', {class: 'when'}, when(e.last_change, 'never')));
    return row;
  }

  function renderProfile(p) {
    const endpoints = p.endpoints || [];
    const answer = p.answer || {};
    const answering = new Set([...(answer.A?.endpoints || []), ...(answer.AAAA?.endpoints || [])]);
    const serving = endpoints.filter((e) => e.available).length;
    const head = el(
        'div', {class: 'phead'}, el('h2', null, p.name), el('span', {class: 'fqdn'}, p.fqdn),
        el('span', {class: 'tag'}, p.method), el('span', {class: 'tag'}, 'TTL ' + p.ttl + ' s'),
        p.enabled === false ? el('span', {class: 'tag bad'}, 'profile disabled') : null,
        p.enabled !== false && p.ready === false ? el('span', {class: 'tag warn'}, 'not ready') : null,
        el('span', {class: 'spacer'}),
        el('span', {class: 'muted'}, serving + ' of ' + plural(endpoints.length, 'endpoint') + ' available'));
    const answers =
        el('div', {class: 'answers'}, renderAnswer('A', answer.A), renderAnswer('AAAA', answer.AAAA));
    const body = el('tbody', null, endpoints.map((e) => renderEndpoint(p, e, answering)));
    const table = endpoints.length ?
        el('div', {class: 'scroll'},
           el('table', {class: 'endpoints'},
              el('colgroup', null, COLUMN_WIDTHS.map((w) => el('col', {style: 'width: ' + w + '%'}))),
              el('thead', null,
                 el('tr', null,
                    [
                      'Endpoint', 'Target', 'Status', 'Probe status', 'Override', 'Reason', 'Last probe',
                      'Last change'
                    ].map((h) => el('th', null, h)))),
              body)) :
        el('div', {class: 'empty'}, 'No endpoints.');
    return el(
        'section', {class: 'profile', id: 'profile-' + p.name, 'data-profile': p.name}, head, answers, table);
  }

  function renderChanges(changes) {
    setText('changes-count', changes.length ? plural(changes.length, 'change') + ', newest first' : '');
    const rows = changes.map((c) => {
      const t = parse(c.at);
      return el(
          'tr', {'data-profile': c.profile, 'data-endpoint': c.endpoint},
          el('td', {class: 'when'}, t === null ? '\u2014' : clock(t), el('span', {class: 'sub'}, when(c.at))),
          el('td', null, el('a', {href: '#profile-' + encodeURIComponent(c.profile || '')}, c.profile)),
          el('td', {class: 'name'}, c.endpoint),
          el('td', {class: 'when'}, pill(c.from, true), el('span', {class: 'arrow'}, '\u2192'),
             pill(c.to, true)),
          el('td', {class: 'reason'}, c.reason || ''));
    });
    if (!rows.length)
      rows.push(el('tr', null, el('td', {colspan: 5, class: 'empty'}, 'No changes since start.')));
    document.getElementById('changes').replaceChildren(...rows);
  }

  function render(s) {
    renderHeader(s);
    const profiles = s.profiles || [];
    renderOverview(profiles);
    const sections = profiles.map(renderProfile);
    if (!sections.length)
      sections.push(
          el('section', {class: 'profile'}, el('div', {class: 'empty'}, 'No profiles configured.')));
    document.getElementById('profiles').replaceChildren(...sections);
    renderChanges(s.changes || []);
  }

  function showFetchState(error) {
    const banner = document.getElementById('fetch-error');
    const dot = document.getElementById('live-dot');
    document.body.classList.toggle('stale', Boolean(error) && last !== null);
    if (!error) {
      banner.hidden = true;
      dot.className = 'dot live';
      setText('refreshed', 'Updated ' + clock(serverNow()) + ' UTC');
      return;
    }
    dot.className = 'dot down';
    banner.replaceChildren(el('strong', null, 'Cannot load status.'), error + '. ');
    if (last) {
      const t = parse(last.now);
      add(banner,
          'Showing the last data received' +
              (t === null ? '' : ', from ' + clock(t) + ' UTC (' + ago(t) + ')') + '. ');
    }
    add(banner,
        'Retrying every ' + REFRESH_MS / 1000 + ' s' +
            (failures > 1 ? ' (' + failures + ' failures in a row)' : '') + '.');
    banner.hidden = false;
    setText('refreshed', last ? 'Stale since ' + clock(parse(last.now) ?? Date.now()) + ' UTC' : 'No data');
  }

  async function fetchStatus() {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), FETCH_TIMEOUT_MS);
    try {
      let reply;
      try {
        reply = await fetch(
            'v1/status', {cache: 'no-store', headers: {Accept: 'application/json'}, signal: abort.signal});
      } catch (e) {
        throw new Error(
            abort.signal.aborted ? 'no reply within ' + FETCH_TIMEOUT_MS / 1000 + ' s' :
                                   'the server is unreachable');
      }
      const text = await reply.text();
      let body;
      try {
        body = JSON.parse(text);
      } catch (e) {
        body = null;
      }
      if (!reply.ok) throw new Error('HTTP ' + reply.status + (body && body.error ? ': ' + body.error : ''));
      if (!body || typeof body !== 'object') throw new Error('the reply is not JSON');
      return body;
    } finally {
      clearTimeout(timer);
    }
  }

  async function refresh() {
    let error = null;
    try {
      const status = await fetchStatus();
      const now = parse(status.now);
      const previousSkew = skewMs;
      skewMs = now === null ? 0 : Date.now() - now;
      try {
        render(status);
        last = status;
      } catch (e) {
        skewMs = previousSkew;
        throw new Error('the reply could not be shown (' + e.message + ')');
      }
    } catch (e) {
      error = e && e.message ? e.message : String(e);
    }
    if (error) {
      ++failures;
      // Re-render the last good data so its ages keep counting while the server is away.
      if (last) try {
          render(last);
        } catch (ignored) {
        }
    } else {
      failures = 0;
      document.body.setAttribute('data-loaded', 'true');
    }
    showFetchState(error);
    setTimeout(refresh, REFRESH_MS);
  }

  refresh();
})();
</script>
</body>
</html>
)html";

}  // namespace

std::string_view status_page_html() {
  return page;
}

}  // namespace meridian::server
