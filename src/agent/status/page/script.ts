/**
 * The status page's script, plain browser JavaScript (no build step). It takes the one-time code from the
 * URL fragment, drops it from the address bar at once, trades it for a session token kept in
 * sessionStorage, then polls the API with that token in the Authorization header. Every value from the
 * API is written with textContent, never as HTML (file names can contain anything).
 * Written without template literals so it can live in this TS string.
 */
export const PAGE_SCRIPT = String.raw`(function () {
  'use strict';
  var STORE = 'vosync-session';
  var POLL_MS = 1000;
  var token = null;
  var timer = null;
  var lastNow = Date.now();

  function $(id) { return document.getElementById(id); }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function show(id, on) { $(id).hidden = !on; }

  function say(text) { var m = $('message'); m.textContent = text; m.hidden = !text; }

  var STATE_WORDS = {
    starting: 'Starting', idle: 'Idle', scanning: 'Scanning', syncing: 'Syncing', paused: 'Paused',
    error: 'Error', offline: 'Offline', stale: 'Stale'
  };

  // The health rule's level decides the words and the colour (as vosync status and the tray do).
  function stateLabel(state, health) {
    if (health.level === 'ok') return 'Up to date';
    if (health.level === 'busy') return state === 'idle' || state === 'stale' ? 'Changes pending' : STATE_WORDS[state] || state;
    if (health.level === 'attention') return state === 'paused' || state === 'stale' ? STATE_WORDS[state] : 'Needs a look';
    return state === 'offline' ? 'Offline' : 'Error';
  }

  function stateClass(state, health) {
    if (health.level === 'ok') return 'state-ok';
    if (health.level === 'attention' && state !== 'paused' && state !== 'stale') return 'state-stale';
    if (health.level === 'error' && state !== 'offline') return 'state-error';
    return 'state-' + state;
  }

  function bytes(n) {
    if (n === null || n === undefined) return '?';
    if (n < 1000) return n + ' B';
    var units = ['kB', 'MB', 'GB', 'TB'];
    var v = n; var i = -1;
    while (v >= 1000 && i < units.length - 1) { v = v / 1000; i++; }
    return v.toFixed(v >= 100 ? 0 : 1) + ' ' + units[i];
  }

  function ago(t) {
    if (t === null || t === undefined) return 'never';
    var s = Math.max(0, Math.round((lastNow - t) / 1000));
    if (s < 60) return s + ' s ago';
    if (s < 3600) return Math.round(s / 60) + ' min ago';
    if (s < 86400) return Math.round(s / 3600) + ' h ago';
    return Math.round(s / 86400) + ' days ago';
  }

  function clock(t) {
    var d = new Date(t);
    return d.toLocaleTimeString();
  }

  function plural(n, one, many) { return n + ' ' + (n === 1 ? one : many); }

  function pendingText(p) {
    var parts = [];
    if (p.uploads) parts.push(plural(p.uploads, 'upload', 'uploads'));
    if (p.downloads) parts.push(plural(p.downloads, 'download', 'downloads'));
    if (p.deletes) parts.push(plural(p.deletes, 'delete', 'deletes'));
    if (p.other) parts.push(plural(p.other, 'other change', 'other changes'));
    if (p.localChanges) parts.push(plural(p.localChanges, 'local change noticed', 'local changes noticed'));
    return parts.length ? parts.join(', ') : 'nothing';
  }

  function duration(sec) {
    if (sec < 60) return sec + ' s';
    var min = Math.round(sec / 60);
    if (min < 60) return min + ' min';
    var h = Math.floor(min / 60);
    return h < 10 && min % 60 > 0 ? h + ' h ' + (min % 60) + ' min' : Math.round(min / 60) + ' h';
  }

  // The same words as vosync status: files and bytes left each way, the rate, the time to go.
  function progressText(p) {
    var parts = [];
    if (p.filesLeft.up) parts.push('\u2191 ' + plural(p.filesLeft.up, 'file', 'files') + ', ' + bytes(p.bytesLeft.up) + ' left');
    if (p.filesLeft.down) parts.push('\u2193 ' + plural(p.filesLeft.down, 'file', 'files') + ', ' + bytes(p.bytesLeft.down) + ' left');
    if (!parts.length) return null;
    if (p.bytesPerSecond > 0) parts.push(bytes(p.bytesPerSecond) + '/s');
    if (p.etaSeconds !== null) parts.push('about ' + duration(p.etaSeconds));
    return parts.join(' \u00b7 ');
  }

  function api(method, path) {
    return fetch(path, {
      method: method,
      headers: { Authorization: 'Bearer ' + token },
      cache: 'no-store',
      credentials: 'omit'
    }).then(function (res) {
      if (res.status === 401) { throw { auth: true }; }
      if (!res.ok) { return res.json().then(function (b) { throw { message: b.error || ('HTTP ' + res.status) }; }); }
      return res.json();
    });
  }

  function needAuth() {
    token = null;
    try { sessionStorage.removeItem(STORE); } catch (e) { /* storage may be off */ }
    if (timer) { clearTimeout(timer); timer = null; }
    show('content', false); show('unreachable', false); show('global-actions', false);
    show('auth-needed', true);
    var o = $('overall');
    o.textContent = 'Not signed in';
    o.className = 'badge state-paused';
  }

  function control(action, pair) {
    var path = '/' + action + (pair ? '?pair=' + encodeURIComponent(pair) : '');
    api('POST', path).then(function () { say(''); refresh(); }, function (e) {
      if (e && e.auth) needAuth(); else say((e && e.message) || String(e));
    });
  }

  function button(text, onClick) {
    var b = el('button', null, text);
    b.type = 'button';
    b.addEventListener('click', onClick);
    return b;
  }

  function fact(dl, term, value, cls) {
    dl.appendChild(el('dt', null, term));
    dl.appendChild(el('dd', cls || null, value));
  }

  function renderPairs(pairs) {
    var box = $('pairs');
    box.textContent = '';
    if (!pairs.length) { box.appendChild(el('p', 'muted', 'No folders are configured.')); return; }
    pairs.forEach(function (p) {
      var card = el('article', 'pair');
      card.setAttribute('data-pair', p.name);
      var head = el('div', 'pair-head');
      head.appendChild(el('h3', null, p.name));
      head.appendChild(el('span', 'badge ' + stateClass(p.state, p.health), stateLabel(p.state, p.health)));
      var acts = el('div', 'pair-actions');
      if (p.state === 'paused') acts.appendChild(button('Resume', function () { control('resume', p.name); }));
      else acts.appendChild(button('Pause', function () { control('pause', p.name); }));
      acts.appendChild(button('Rescan', function () { control('rescan', p.name); }));
      head.appendChild(acts);
      card.appendChild(head);
      card.appendChild(el('p', 'paths', p.local + '  \u21c4  ' + p.remote + '  (' + p.mode + ')'));
      var dl = el('dl', 'facts');
      if (p.health.reasons.length) fact(dl, 'Why', p.health.reasons.join(' \u00b7 '), p.health.level === 'error' ? 'bad' : 'warn');
      if (p.pausedReason) fact(dl, 'Paused', p.pausedReason, 'warn');
      if (p.heldDeletes) {
        var h = p.heldDeletes;
        var names = h.paths.slice(0, 5).map(function (d) { return d.path + (d.side === 'local' ? ' (here)' : ' (on the server)'); });
        var total = h.local + h.remote;
        fact(dl, h.confirmed ? 'Deletions confirmed' : 'Deletions held back',
          plural(total, 'deletion', 'deletions') + ': ' + names.join(', ') + (total > names.length ? ', \u2026' : ''), 'warn');
      }
      fact(dl, 'Pending', pendingText(p.pending));
      var left = progressText(p.progress);
      if (left) fact(dl, 'Left', left, 'progress');
      fact(dl, 'Transfers', p.transfers ? (p.transfers + ' running, ' + bytes(p.bytesPerSecond) + '/s') : 'none');
      fact(dl, 'Last sync', ago(p.lastSyncOkAt));
      fact(dl, 'Last server check', ago(p.lastRemotePollOkAt));
      if (p.conflicts) fact(dl, 'Conflicts', String(p.conflicts), 'warn');
      if (p.errors) fact(dl, 'Errors', String(p.errors), 'bad');
      if (p.notSynced) fact(dl, 'Not synced', plural(p.notSynced, 'item', 'items') + ' (listed below)', 'warn');
      if (p.lastError) {
        fact(dl, 'Last error', (p.lastError.path ? p.lastError.path + ': ' : '') + p.lastError.message,
          p.lastError.transient ? 'warn' : 'bad');
      }
      card.appendChild(dl);
      box.appendChild(card);
    });
  }

  function renderTransfers(list) {
    var ul = $('transfers');
    ul.textContent = '';
    list.forEach(function (t) {
      var li = el('li', 'transfer');
      li.setAttribute('data-path', t.path);
      li.appendChild(el('span', 'dir', t.direction === 'up' ? '\u2191 upload' : '\u2193 download'));
      li.appendChild(el('span', 'path', t.pair + ': ' + t.path));
      var bar = document.createElement('progress');
      if (t.size !== null && t.bytesDone !== null) {
        bar.max = Math.max(1, t.size);
        bar.value = t.bytesDone;
      }
      bar.setAttribute('aria-label', 'progress of ' + t.path);
      li.appendChild(bar);
      var done = t.bytesDone === null ? (t.size === null ? '' : bytes(t.size)) : bytes(t.bytesDone) + ' of ' + bytes(t.size);
      li.appendChild(el('span', 'amount', done));
      ul.appendChild(li);
    });
    show('no-transfers', list.length === 0);
  }

  function renderRows(tableId, emptyId, rows) {
    var body = $(tableId).tBodies[0];
    body.textContent = '';
    rows.forEach(function (cells) {
      var tr = el('tr');
      cells.forEach(function (c) { tr.appendChild(el('td', null, c)); });
      body.appendChild(tr);
    });
    show(tableId, rows.length > 0);
    show(emptyId, rows.length === 0);
  }

  function render(status, activity, conflicts, errors, notSynced) {
    lastNow = status.now;
    show('auth-needed', false); show('unreachable', false); show('content', true); show('global-actions', true);
    var o = $('overall');
    o.textContent = stateLabel(status.state, status.health);
    o.className = 'badge ' + stateClass(status.state, status.health);
    document.title = 'vosync: ' + stateLabel(status.state, status.health);
    $('version').textContent = status.version;
    $('updated').textContent = 'updated ' + clock(status.now);
    renderPairs(status.pairs);
    renderTransfers(activity.transfers);
    renderRows('conflicts', 'no-conflicts', conflicts.conflicts.map(function (c) {
      return [clock(c.at), c.pair, c.path, c.copy || '', c.message];
    }));
    renderRows('not-synced', 'no-not-synced', notSynced.items.map(function (i) {
      return [i.pair, i.path, i.reason];
    }));
    renderRows('errors', 'no-errors', errors.errors.map(function (e) {
      return [clock(e.at), e.pair, e.path || '(whole folder)', e.message, e.transient ? 'yes' : 'no, needs you'];
    }));
    renderRows('activity', 'no-activity', activity.activity.map(function (a) {
      return [clock(a.at), a.pair, a.path, a.action + (a.bytes ? ' (' + bytes(a.bytes) + ')' : ''),
        a.result + (a.message ? ': ' + a.message : '')];
    }));
  }

  function refresh() {
    if (timer) { clearTimeout(timer); timer = null; }
    if (!token) return;
    Promise.all([
      api('GET', '/status'), api('GET', '/activity?limit=50'), api('GET', '/conflicts?limit=50'),
      api('GET', '/errors?limit=50'), api('GET', '/not-synced?limit=50')
    ]).then(function (r) {
      render(r[0], r[1], r[2], r[3], r[4]);
      timer = setTimeout(refresh, document.hidden ? POLL_MS * 5 : POLL_MS);
    }, function (e) {
      if (e && e.auth) return needAuth();
      show('unreachable', true);
      var o = $('overall');
      o.textContent = 'Not answering';
      o.className = 'badge state-offline';
      timer = setTimeout(refresh, POLL_MS * 3);
    });
  }

  function takeCode() {
    var h = location.hash.replace(/^#/, '');
    // Drop the fragment at once: the code must not stay in the address bar or in the history.
    if (h) history.replaceState(null, '', location.pathname);
    return new URLSearchParams(h).get('code');
  }

  function start() {
    $('pause-all').addEventListener('click', function () { control('pause'); });
    $('resume-all').addEventListener('click', function () { control('resume'); });
    $('rescan-all').addEventListener('click', function () { control('rescan'); });
    document.addEventListener('visibilitychange', function () { if (!document.hidden) refresh(); });
    var code = takeCode();
    var redeem = code
      ? fetch('/session/redeem', {
          method: 'POST', headers: { 'Content-Type': 'application/json' }, cache: 'no-store',
          credentials: 'omit', body: JSON.stringify({ code: code })
        }).then(function (res) { return res.ok ? res.json() : null; }, function () { return null; })
      : Promise.resolve(null);
    redeem.then(function (s) {
      try {
        if (s && s.token) sessionStorage.setItem(STORE, s.token);
        token = sessionStorage.getItem(STORE);
      } catch (e) {
        token = s && s.token;
      }
      if (!token) return needAuth();
      refresh();
    });
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
`;
