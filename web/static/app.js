// The page: a WebSocket to the server for live runs and named traces, a
// Model per trace, a canvas stage drawn every animation frame, and the
// controls of replay. No framework, no build step.
import { Model, toJSONL, deadlockCycle } from './model.js';

// Script errors are kept where the browser tests look for them.
window.__errors = window.__errors || [];
window.addEventListener('error', e => window.__errors.push(String(e.message)));
window.addEventListener('unhandledrejection', e => window.__errors.push(String(e.reason)));

const $ = id => document.getElementById(id);

// ---- state of the page ----
const ui = {
  hello: null,
  model: null,          // the trace on stage
  liveModel: null,      // the current live session, on stage or not
  liveSession: 0,
  step: 0,              // events applied: the stage shows the state after `step` events
  playing: false,
  acc: 0,
  follow: false,        // trail the end of a live run (see followLive)
  dwell: 0,             // ms the current step has been on stage while following
  selected: 0,          // a value id
  filter: 0,            // a goroutine id
  filterSet: null,      // {idx, gs} of the filter
  hoverEvent: -1,
  theme: null,
  colors: {},
  pendingTrace: null,   // a named trace being streamed in
  viewer: 0,            // this page's id on the server: a live run by this id is this page's own
  liveMine: false,      // the current live session was started by this page
  landing: null,        // {step}: the step the URL asks for, taken once its recording or trace is on stage
  urlError: '',         // what is wrong with the URL's parameters, shown on the page
  zoom: 1,              // times the fit scale (see SCENE_FP)
};

// What the tests read: the page's own account of what it drew.
// fullWithBlockedMs: goroutine name -> the longest time, in ms, it was
// drawn without a break waiting to send on a full channel.
// cutLabels: the value labels drawn shortened for want of room.
// violation: what the last frame drew of a violation (see drawViolation).
const seen = { blockedSend: new Set(), fullWithBlocked: new Set(), fullWithBlockedMs: new Map(), cutLabels: new Set(), selectWaits: new Set(), frames: 0, violation: null };
let blockedRun = new Map(); // goroutine name -> ms drawn so far in the current stretch
window.handoff = {
  get step() { return ui.step; },
  get n() { return ui.model ? ui.model.n : 0; },
  get model() { return ui.model; },
  get playing() { return ui.playing; },
  get viewer() { return ui.viewer; },
  get landing() { return ui.landing; },
  get urlError() { return ui.urlError; },
  seen,
  lastExport: null,
  setStep: s => setStep(s),
  play: () => setPlaying(true),
  pause: () => setPlaying(false),
  select: v => selectValue(v),
  filter: g => setFilter(g),
  summary: () => summary(),
  load: (source, kind, evs) => { const m = new Model(source, kind); m.append(evs); show(m); },
  setSpeed: v => { $('speed').value = String(v); },
  // lane returns where goroutine g's lane is drawn, in client pixels
  lane: g => {
    const L = layout && layout.lanes.get(g);
    if (!L) return null;
    const r = canvas.getBoundingClientRect(), sy = $('stage-scroll').scrollTop, sc = layout.scale;
    return { x: r.left + 4 * sc, y: r.top + (L.y + layout.oy) * sc - sy, w: (layout.laneW - 4) * sc, h: L.h * sc, labelW: layout.labelW * sc };
  },
  // view: the scene's scale (the fit scale times the zoom), and the box
  // its lanes, channels and mutexes are drawn in, in client pixels, with
  // the stage's box and the window's size
  get view() {
    const stage = $('stage-scroll').getBoundingClientRect(), win = { w: innerWidth, h: innerHeight };
    if (!layout) return { scale: 0, fit: 0, zoom: ui.zoom, box: null, stage, win };
    const b = sceneBox(layout), r = canvas.getBoundingClientRect(), sy = $('stage-scroll').scrollTop, sc = layout.scale;
    const box = b && { x: r.left + b.x * sc, y: r.top + (b.y + layout.oy) * sc - sy, w: b.w * sc, h: b.h * sc };
    let hidden = 0; // tokens without room in their lane
    for (const k of layout.hiddenIn.values()) hidden += k;
    return { scale: sc, fit: layout.fit, zoom: ui.zoom, box, stage, win, hidden };
  },
  get present() { return url.present; },
  get legend() { return !$('legend').hidden; },
  // pixel is the stage's colour at a point, in client pixels: [r, g, b]
  pixel: (x, y) => {
    const r = canvas.getBoundingClientRect(), dpr = window.devicePixelRatio || 1;
    const d = ctx.getImageData(Math.round((x - r.left) * dpr), Math.round((y - r.top) * dpr), 1, 1).data;
    return [d[0], d[1], d[2]];
  },
  get restStep() { return ui.model ? ui.model.restStep() : -1; },
  measureFPS: ms => new Promise(res => {
    const start = seen.frames, t0 = performance.now();
    setTimeout(() => res((seen.frames - start) * 1000 / (performance.now() - t0)), ms);
  }),
};

// ---- WebSocket ----
let ws = null, wsBackoff = 500;
function connect() {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
  ws = new WebSocket(`${proto}//${location.host}/ws`);
  ws.onopen = () => { $('conn').textContent = 'connected'; wsBackoff = 500; };
  ws.onclose = ev => {
    $('conn').textContent = ev.reason === 'too slow' ? 'reconnecting (this page fell behind)…' : 'disconnected, retrying…';
    setTimeout(connect, wsBackoff);
    wsBackoff = Math.min(wsBackoff * 2, 5000);
  };
  ws.onmessage = ev => {
    let m;
    try { m = JSON.parse(ev.data); } catch (e) { return status('bad message from the server: ' + e.message, true); }
    onMessage(m);
  };
}
function sendOp(o) {
  if (!ws || ws.readyState !== WebSocket.OPEN) return status('not connected to the server', true);
  ws.send(JSON.stringify(o));
}

function onMessage(m) {
  switch (m.type) {
    case 'hello': onHello(m); break;
    case 'live': onLive(m); break;
    case 'events':
      if (m.session === ui.liveSession && ui.liveModel) {
        ui.liveModel.append(m.events);
        if (ui.model === ui.liveModel) refreshBounds();
      }
      break;
    case 'live-end':
      if (m.session === ui.liveSession) liveEnded(m);
      break;
    case 'trace':
      // a named trace, or a scenario recorded for this page alone (a link)
      ui.pendingTrace = new Model(m.name, m.scenario ? 'recording' : 'trace');
      ui.pendingTrace.link = m.scenario ? { scenario: m.scenario, seed: m.seed || 0 } : { trace: m.id + 1 };
      status(m.scenario ? `running ${m.scenario}…` : `loading ${m.name}…`);
      break;
    case 'trace-events':
      if (ui.pendingTrace) ui.pendingTrace.append(m.events);
      break;
    case 'trace-end':
      if (ui.pendingTrace) {
        ui.pendingTrace.done = true;
        show(ui.pendingTrace);
        status(`${ui.pendingTrace.source}: ${ui.pendingTrace.n} events`);
        ui.pendingTrace = null;
        land();
        if (m.error) status(m.error, true);
      }
      break;
    case 'viewers':
      $('viewers').textContent = `${m.n} viewer${m.n === 1 ? '' : 's'}`;
      break;
    case 'error':
      status(m.msg, true);
      break;
  }
}

// onLive takes a live session. Each page owns its view: its own run (the
// server says who started it) takes its stage; anyone else's is offered
// with the “● live” button and never replaces what the page shows. A
// traced program's stream is shown by a page with nothing else on stage,
// or one that was following the program before.
function onLive(m) {
  const mdl = new Model(m.source, 'live');
  mdl.append(m.events);
  mdl.done = m.done;
  if (m.kind === 'scenario') mdl.link = { scenario: m.source, seed: m.seed || 0 };
  const old = ui.liveModel, again = old && m.session === ui.liveSession; // the backlog after a reconnection
  ui.liveModel = mdl; ui.liveSession = m.session;
  ui.liveMine = again ? ui.liveMine : m.by !== 0 && m.by === ui.viewer;
  if (again && ui.model === old) {
    // the same run, sent again whole: keep the step and the follow
    ui.model = mdl;
    refreshBounds();
  } else if (ui.liveMine) {
    ui.landing = null;
    show(mdl);
  } else if (m.kind === 'program' && !m.done && !ui.landing &&
             (!ui.model || (ui.model.kind === 'live' && ui.follow && ui.model.programRun))) {
    // a run already under way is followed from where it is now, not
    // replayed from its start
    mdl.programRun = true;
    show(mdl); ui.step = mdl.n;
  } else if (!m.done) {
    mdl.programRun = m.kind === 'program';
    const who = m.kind === 'program' ? `program ${m.source} is streaming` : `another viewer started a run of ${m.source}`;
    status(`${who} — press “● live” to watch it`);
  }
  if (m.done) liveEnded(m);
  updateMode();
}

function liveEnded(m) {
  const mdl = ui.liveModel;
  if (!mdl) return;
  mdl.done = true;
  updateMode();
  if (ui.model !== mdl && !ui.liveMine) return; // not this page's concern
  const drops = m.dropped ? ` (${m.dropped} events not kept)` : '';
  // a run that ended with a violation rests on it (see followLive); one
  // followed past it before its end was known steps back to it
  const rest = mdl.restStep();
  if (ui.model === mdl && ui.follow && rest >= 0 && ui.step > rest) { ui.step = rest; $('scrub').value = String(rest); }
  const viol = rest >= 0 ? ` · rests on its ${mdl.events[rest - 1].rule} at step ${rest}` : '';
  if (m.error && !m.error.startsWith('stopped')) status(`run of ${mdl.source} failed: ${m.error}${drops}`, true);
  else status(`run of ${mdl.source} ${m.error || 'finished'}: ${mdl.n} events${drops}${viol}`);
}

// land puts the page on the step its URL asked for, once the recording or
// the trace it asked for is on stage.
function land() {
  const L = ui.landing, m = ui.model;
  if (!L || !m || !m.link) return;
  ui.landing = null;
  setPlaying(false);
  ui.follow = false;
  setStep(Math.min(L.step, m.n));
  if (m.n < L.step) status(`the link asks for step ${L.step}, but this ${m.kind === 'trace' ? 'trace' : 'run'} has ${m.n} steps: showing the last`, true);
  else status(`${m.source}: step ${L.step} of ${m.n}`);
  writeURL(true);
}

function onHello(m) {
  const first = !ui.hello;
  ui.hello = m;
  ui.viewer = m.viewer || 0;
  const sel = $('scenario');
  const prev = sel.value;
  sel.innerHTML = '';
  for (const s of m.scenarios) {
    const o = document.createElement('option');
    o.value = s.name; o.textContent = s.name;
    sel.append(o);
  }
  if (prev) sel.value = prev;
  showScenario();
  $('run').disabled = !m.canRun || m.scenarios.length === 0;
  $('stop').disabled = !m.canRun;
  $('run-note').hidden = m.canRun && m.scenarios.length > 0;
  $('run-note').textContent = 'This server cannot run scenarios.';
  $('pace').value = String(m.defaultPace);
  const ul = $('traces');
  ul.innerHTML = '';
  m.traces.forEach(t => {
    const li = document.createElement('li');
    const b = document.createElement('button');
    b.type = 'button'; b.textContent = `${t.name} · ${t.events} events`; b.title = t.name;
    b.dataset.trace = String(t.id);
    b.onclick = () => sendOp({ op: 'open', trace: t.id });
    li.append(b); ul.append(li);
  });
  if (m.traces.length === 0) ul.innerHTML = '<li class="muted small">No trace files were named on the command line.</li>';
  $('export-svg').disabled = !m.canSVG;
  $('svg-note').hidden = m.canSVG;
  // a link's recording or trace lost with the connection is asked again
  ui.pendingTrace = null;
  if (first || ui.landing) { ui.urlError = ''; openURLView(m); }
}

// ---- the address bar ----
// A view is a link: /?scenario=NAME&step=N (with seed=S when the run had
// one) runs the scenario again and lands on step N; /?trace=K&step=N
// opens the K-th trace named on the server's command line, counted from 1;
// present=1 shows the stage alone. The address bar follows the view as it
// steps (replaceState: no history entry per step). Parameters the page
// does not know, such as a viewer token, are kept as they are.
const URL_KEYS = ['scenario', 'trace', 'step', 'seed'];
const url = parseURL(location.search);

// parseURL reads the view a URL asks for; what is wrong goes in errors,
// one message per parameter, naming it.
function parseURL(search) {
  const q = new URLSearchParams(search), r = { errors: [], present: false };
  const count = (k, v) => {
    if (!/^[0-9]{1,16}$/.test(v) || !Number.isSafeInteger(Number(v))) {
      r.errors.push(`${k}=${v}: not a whole number (want 0, 1, 2, …)`);
      return null;
    }
    return Number(v);
  };
  if (q.has('present')) {
    const v = q.get('present');
    if (v === '1' || v === '0') r.present = v === '1';
    else r.errors.push(`present=${v}: want present=1 (or 0)`);
  }
  if (q.has('scenario')) {
    r.scenario = q.get('scenario');
    if (!r.scenario) r.errors.push('scenario=: the name is empty');
  }
  if (q.has('trace')) {
    const k = count('trace', q.get('trace'));
    if (k === 0) r.errors.push('trace=0: traces are counted from 1, the first named on the command line');
    else if (k !== null) r.trace = k;
  }
  if (q.has('step')) { const n = count('step', q.get('step')); if (n !== null) r.step = n; }
  if (q.has('seed')) { const n = count('seed', q.get('seed')); if (n !== null) r.seed = n; }
  if (q.has('scenario') && q.has('trace')) r.errors.push('scenario= and trace= together: a link shows one or the other');
  if (q.has('seed') && !q.has('scenario')) r.errors.push('seed= is for a scenario, and there is no scenario=');
  if (q.has('step') && !q.has('scenario') && !q.has('trace')) r.errors.push('step= needs scenario= or trace=');
  return r;
}

function urlProblem(msg) {
  ui.urlError = ui.urlError ? ui.urlError + '; ' + msg : msg;
  status('this link cannot be shown: ' + ui.urlError, true);
}

// openURLView starts what the URL asks for, once the server has said
// what it has.
function openURLView(hello) {
  if (url.errors.length) { url.errors.forEach(urlProblem); return; }
  if (url.scenario !== undefined) {
    const names = hello.scenarios.map(s => s.name);
    if (!names.includes(url.scenario)) return urlProblem(`scenario=${url.scenario}: this server has no such scenario (it has ${names.join(', ') || 'none'})`);
    if (!hello.canRun) return urlProblem(`scenario=${url.scenario}: this server cannot run scenarios`);
    $('scenario').value = url.scenario;
    showScenario();
    // a run for this page alone, at full speed: opening a link disturbs
    // no one's live run
    const o = { op: 'record', scenario: url.scenario };
    if (url.seed !== undefined) o.seed = url.seed;
    ui.landing = { step: url.step ?? 0 };
    status(`running ${url.scenario}…`);
    sendOp(o);
  } else if (url.trace !== undefined) {
    const n = hello.traces.length;
    if (url.trace > n) return urlProblem(`trace=${url.trace}: this server has ${n === 0 ? 'no trace files' : n === 1 ? 'one trace file (trace=1)' : `${n} trace files (trace=1 to trace=${n})`}`);
    ui.landing = { step: url.step ?? 0 };
    sendOp({ op: 'open', trace: url.trace - 1 });
  }
}

// viewURL is the link to what the page shows now.
function viewURL() {
  const q = new URLSearchParams(), link = ui.model && ui.model.link;
  if (link && link.scenario) {
    q.set('scenario', link.scenario);
    if (link.seed) q.set('seed', String(link.seed));
    q.set('step', String(ui.step));
  } else if (link && link.trace) {
    q.set('trace', String(link.trace));
    q.set('step', String(ui.step));
  }
  if (url.present) q.set('present', '1');
  for (const [k, v] of new URLSearchParams(location.search)) if (!URL_KEYS.includes(k) && k !== 'present') q.append(k, v);
  const s = q.toString();
  return location.pathname + (s ? '?' + s : '');
}

// writeURL puts the view in the address bar, at most every 250 ms unless
// now is set. While the URL's own view is still loading, or is wrong, the
// address bar keeps what was asked.
let urlWritten = '', urlWrittenAt = 0;
function writeURL(now) {
  if (ui.landing || !ui.model) return;
  const t = performance.now();
  if (!now && t - urlWrittenAt < 250) return;
  const u = viewURL();
  if (u === urlWritten) return;
  urlWritten = u; urlWrittenAt = t;
  if (u !== location.pathname + location.search) history.replaceState(null, '', u);
}

function showScenario() {
  const s = (ui.hello?.scenarios || []).find(s => s.name === $('scenario').value);
  $('summary').textContent = s ? s.summary : '';
  $('description').textContent = s ? s.description : '';
  $('desc-box').hidden = !s || !s.description;
}

// ---- showing a model ----
function show(m) {
  ui.model = m;
  ui.step = 0; ui.acc = 0; ui.selected = 0; ui.filter = 0; ui.filterSet = null;
  ui.follow = m.kind === 'live'; ui.dwell = 0;
  if (m.kind !== 'live') setPlaying(false);
  tokens.clear();
  seen.blockedSend.clear(); seen.fullWithBlocked.clear(); seen.fullWithBlockedMs.clear(); seen.cutLabels.clear(); blockedRun = new Map();
  $('source').textContent = m.source || 'trace';
  refreshBounds();
  renderInspector();
  updateMode();
  drawMarks();
}

function updateMode() {
  const m = ui.model, b = $('mode');
  $('follow').hidden = !(ui.liveModel && !ui.liveModel.done && !(m === ui.liveModel && ui.follow));
  if (!m) { b.hidden = true; return; }
  b.hidden = false;
  const running = m.kind === 'live' && !m.done;
  b.textContent = running ? 'live' : m.kind === 'live' || m.kind === 'recording' ? 'recorded run' : 'replay';
  b.className = 'badge' + (running ? ' live' : '');
}

function refreshBounds() {
  const m = ui.model;
  const n = m ? m.n : 0;
  $('scrub').max = String(n);
  if (ui.step > n) ui.step = n;
  $('scrub').value = String(ui.step);
  drawMarks();
  updateMode();
}

function setStep(s) {
  if (!ui.model) return;
  ui.step = Math.max(0, Math.min(Math.round(s), ui.model.n));
  if (ui.model === ui.liveModel && ui.step < ui.model.n) ui.follow = false;
  $('scrub').value = String(ui.step);
  updateMode();
}

function setPlaying(p) {
  ui.playing = p && !!ui.model;
  if (ui.playing && ui.model && ui.step >= ui.model.n) ui.step = 0;
  ui.acc = 0;
  $('play').textContent = ui.playing ? '❚❚' : '▶';
}

function status(msg, err) {
  const s = $('status');
  s.textContent = msg;
  s.title = msg;
  s.className = err ? 'error' : '';
}

// ---- the stage ----
const canvas = $('stage'), ctx = canvas.getContext('2d');
const tokens = new Map(); // vid -> {x, y, a}: where a token is drawn, easing toward its target
let layout = null;        // the last layout, for hit tests
let lastT = performance.now();

function readColors() {
  const cs = getComputedStyle(document.documentElement);
  for (const k of ['bg', 'panel', 'fg', 'muted', 'line', 'accent', 'lane', 'lane-alt', 'token', 'token-fg', 'chan', 'slot', 'send', 'recv', 'lock', 'join', 'full', 'ended', 'viol', 'sel']) {
    ui.colors[k] = cs.getPropertyValue('--' + k).trim();
  }
  ui.colors.font = cs.getPropertyValue('--font');
  ui.colors.mono = cs.getPropertyValue('--mono');
  tokFont = `${SCENE_FP * 0.78}px ${ui.colors.font}`;
}

function fontPx() { return parseFloat(getComputedStyle(document.body).fontSize) || 14; }
let pageFP = 14; // fontPx(), read when the window changes size

// A badge starts with an icon BADGE_ICON type sizes wide: a triangle for
// running, two bars for waiting, a square for ended, so that a state
// reads by its shape as well as its colour (a value is a filled pill).
const BADGE_ICON = 1.1;

// badge says what goroutine g is doing, and in which colour.
function badge(m, st, g) {
  const C = ui.colors, gs = st.g.get(g);
  let txt = '', col = C.muted;
  if (gs.st === 'ended') {
    txt = gs.panic ? 'panicked' : gs.aborted ? 'stopped by the tracer' : 'ended';
    col = gs.panic ? C.viol : C.ended;
    if (gs.joinedBy) txt += ` · joined by g${gs.joinedBy}`;
  } else if (gs.st === 'blocked') {
    col = gs.on === 'send' ? C.send : gs.on === 'recv' || gs.on === 'select' ? C.recv : gs.on === 'lock' || gs.on === 'rlock' ? C.lock : C.join;
    const what = gs.on === 'lock' || gs.on === 'rlock' ? (m.mutexes.get(gs.mu) || { name: 'a lock' }).name : gs.on === 'join' ? `g${gs.child}` :
      gs.on === 'select' ? m.cases(gs.cases) : gs.on === 'wait' ? 'WaitGroup' : gs.on === 'cond' ? 'Cond' : m.chanName(gs.ch);
    txt = `waits: ${gs.on} ${what}`;
  } else {
    txt = 'running'; col = C.token;
  }
  if (gs.joinPanic) { txt = `join g${gs.joinPanic.child}: panic “${gs.joinPanic.panic}”`; col = C.viol; }
  const icon = gs.st === 'ended' ? 'end' : gs.st === 'blocked' || gs.joinPanic ? 'wait' : 'run';
  return { txt, col, icon };
}

// The scene is laid out in scene pixels at a fixed type size (SCENE_FP)
// and drawn scaled to fill the stage: the fit scale is the largest that
// keeps the scene at least REF_W scene pixels wide and, when it can, whole
// in the stage's height, and never below the page's own type size (a
// scene too tall for that scrolls). Lanes then stretch, up to MAX_STRETCH times their height, to
// fill what height is left. The zoom (wheel, + - 0) multiplies the fit
// scale; the scene reflows to the width it is given, as a browser's zoom
// does, so it never scrolls sideways.
const SCENE_FP = 14, REF_W = 840, MAX_STRETCH = 5, ZOOM_MIN = 0.3, ZOOM_MAX = 5;

function laneHeights(m) {
  const many = m.gOrder.length > 40;
  return { LH: Math.round(SCENE_FP * (many ? 1.75 : 2.45)), LHs: Math.round(SCENE_FP * (many ? 1.1 : 1.4)) };
}

// tokenWidth is how wide a token with this label is drawn.
// The canvas's font must be tokFont.
let tokFont = '';
function tokenWidth(text) {
  const fp = SCENE_FP, minTok = Math.round(fp * 3.2), maxTok = Math.round(fp * 10);
  return Math.min(maxTok, Math.max(minTok, Math.ceil(textWidth(tokFont, text)) + 12));
}

// column places the channels and mutexes in a column right of the lanes
// of a scene W scene pixels wide; cy is where it ends.
function column(m, st, W) {
  const fp = SCENE_FP;
  const laneW = Math.max(300, Math.round(W * 0.56));
  const cx = laneW + Math.round(fp * 2.2);
  const cw = Math.max(160, W - cx - 10);
  const slotH = Math.round(fp * 1.6);
  const chans = new Map(), mus = new Map();
  let cy = 8;
  ctx.font = tokFont;
  const chList = [...m.chans.entries()].filter(([ch]) => st.q.has(ch)).sort((a, b) => a[1].order - b[1].order);
  for (const [ch, info] of chList) {
    const q = st.q.get(ch) || [];
    const cap = info.cap;
    // a channel's slots are as wide as the widest label it has carried,
    // so a label is never cut short where the room exists
    const slotW = Math.min(cw - 16, Math.max(Math.round(fp * 3.6), tokenWidth(info.widest || '') + 4));
    const maxSlots = Math.max(1, Math.floor((cw - 16) / (slotW + 4)));
    const nslots = cap > 0 ? cap : cap === 0 ? 1 : q.length + 1;
    const shown = Math.min(nslots, maxSlots);
    const rows = Math.ceil(shown / maxSlots) || 1;
    const h = Math.round(fp * 1.6) + rows * (slotH + 4) + 10;
    chans.set(ch, { x: cx, y: cy, w: cw, h, cap, q, slotW, slotH, shown, nslots, maxSlots });
    cy += h + 10;
  }
  for (const [mu, info] of m.mutexes) {
    const h = Math.round(fp * 3.3);
    mus.set(mu, { x: cx, y: cy, w: cw, h, name: info.name });
    cy += h + 10;
  }
  return { laneW, cx, cw, chans, mus, cy };
}

// naturalHeight is the scene's height, in scene pixels, before its lanes
// stretch.
function naturalHeight(m, st, W) {
  const { LH, LHs } = laneHeights(m);
  let y = 8;
  for (const g of m.gOrder) {
    const gs = st.g.get(g);
    if (gs) y += (gs.st === 'ended' ? LHs : LH) + 2;
  }
  return Math.max(y, column(m, st, W).cy) + 20;
}

// fitScale is the scale that makes the scene fill a stage of w x h
// client pixels (see SCENE_FP).
// tall says the scene is taller than the stage even at that scale.
function fitScale(m, st, w, h) {
  const lo = pageFP / SCENE_FP, hi = Math.max(lo, w / REF_W);
  const nat = naturalHeight(m, st, w / hi);
  if (nat * hi <= h) return { fit: hi, tall: false };
  const fit = Math.max(lo, h / nat);
  return { fit, tall: nat * fit > h + 1 };
}

// computeLayout places lanes, channels, mutexes and every live token in a
// scene W x H scene pixels.
function computeLayout(m, st, W, H) {
  const fp = SCENE_FP;
  const base = laneHeights(m);
  const labelW = Math.round(fp * 11.5);
  const badgeW = Math.round(fp * 6.5);
  const { laneW, chans, mus, cy } = column(m, st, W);
  // lanes stretch into the height the scene leaves free
  let nOpen = 0, natural = 8;
  for (const g of m.gOrder) {
    const gs = st.g.get(g);
    if (!gs) continue;
    if (gs.st === 'ended') natural += base.LHs + 2;
    else { nOpen++; natural += base.LH + 2; }
  }
  const free = Math.floor(H - 20 - natural);
  const LH = nOpen && free > 0 ? Math.floor(base.LH * Math.min(MAX_STRETCH, 1 + free / (nOpen * base.LH))) : base.LH;
  const LHs = base.LHs;
  const lanes = new Map();
  let y = 8;
  const badgeFont = `${fp * 0.8}px ${ui.colors.font}`;
  ctx.font = badgeFont;
  for (const g of m.gOrder) {
    const gs = st.g.get(g);
    if (!gs) continue;
    const closed = gs.st === 'ended';
    const h = closed ? LHs : LH;
    // the badge's width (icon and text), so that the lane's tokens start after it
    // (a closed lane's state is told without a tag, but takes the room)
    const bw = Math.min(Math.max(closed ? 0 : badgeW, textWidth(badgeFont, badge(m, st, g).txt) + (closed ? 4 : 12) + BADGE_ICON * fp), laneW - labelW - 8);
    lanes.set(g, { y, h, closed, bw });
    y += h + 2;
  }
  const lanesH = y;
  // tokens
  const targets = new Map();
  const tokH = Math.round(fp * 1.45);
  const perLane = new Map();  // gid -> x where its next token goes
  const hiddenIn = new Map(); // gid -> tokens without room in its lane
  const laneEnd = laneW - 8 - Math.round(fp * 4.6); // room for "+N" and "↓N" at the right
  ctx.font = tokFont;
  for (const [v, o] of st.owner) {
    if (o.k === 'g') {
      const L = lanes.get(o.id);
      if (!L) continue;
      const tw = tokenWidth(m.label(v));
      const x = perLane.get(o.id) ?? labelW + Math.max(L.bw, badgeW) + 6;
      if (hiddenIn.has(o.id) || x + tw > laneEnd) {
        hiddenIn.set(o.id, (hiddenIn.get(o.id) || 0) + 1);
        targets.set(v, { x: laneEnd - tw, y: L.y + (L.h - tokH) / 2, w: tw, h: tokH, hidden: true });
        continue;
      }
      perLane.set(o.id, x + tw + 4);
      targets.set(v, { x, y: L.y + (L.h - tokH) / 2, w: tw, h: tokH });
    } else {
      const C = chans.get(o.id);
      if (!C) continue;
      const idx = C.q.indexOf(v);
      if (idx < 0) continue;
      const slot = Math.min(idx, C.shown - 1);
      const r = Math.floor(slot / C.maxSlots), c = slot % C.maxSlots;
      targets.set(v, { x: C.x + 8 + c * (C.slotW + 4) + 2, y: C.y + Math.round(fp * 1.6) + 4 + r * (C.slotH + 4) + 2, w: C.slotW - 4, h: C.slotH - 4, hidden: idx >= C.shown });
    }
  }
  return { fp, LH, labelW, badgeW, laneW, lanes, chans, mus, targets, perLane, hiddenIn, lanesH, columnH: cy, height: Math.max(lanesH, cy) + 20, tokH };
}

// sceneBox is the box the scene is drawn in, in scene pixels: its lanes,
// channels and mutexes.
function sceneBox(L) {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  const add = (x, y, w, h) => { x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x + w); y1 = Math.max(y1, y + h); };
  for (const Ln of L.lanes.values()) add(4, Ln.y, L.laneW - 4, Ln.h);
  for (const B of L.chans.values()) add(B.x, B.y, B.w, B.h);
  for (const B of L.mus.values()) add(B.x, B.y, B.w, B.h);
  return x0 === Infinity ? null : { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
}

function resizeCanvas() {
  const wrap = $('stage-scroll');
  const dpr = window.devicePixelRatio || 1;
  const w = wrap.clientWidth, h = wrap.clientHeight;
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr); canvas.height = Math.round(h * dpr);
    canvas.style.width = w + 'px'; canvas.style.height = h + 'px';
  }
  return { w, h, dpr };
}

// badgeIcon draws a state's icon, fp * BADGE_ICON wide, its left at x
// and its middle at y.
function badgeIcon(icon, x, y, fp, col) {
  const a = fp * 0.32;
  ctx.fillStyle = col;
  ctx.beginPath();
  if (icon === 'run') { ctx.moveTo(x + fp * 0.15, y - a); ctx.lineTo(x + fp * 0.15 + a * 1.6, y); ctx.lineTo(x + fp * 0.15, y + a); ctx.closePath(); }
  else if (icon === 'wait') { ctx.rect(x + fp * 0.15, y - a, a * 0.6, a * 2); ctx.rect(x + fp * 0.15 + a, y - a, a * 0.6, a * 2); }
  else ctx.rect(x + fp * 0.15, y - a * 0.8, a * 1.6, a * 1.6);
  ctx.fill();
}

function roundRect(x, y, w, h, r) {
  ctx.beginPath();
  ctx.roundRect(x, y, w, h, r);
}

// textWidth measures text in the canvas's current font, remembering it:
// the layout measures every label and badge at every frame.
// font must be the canvas's current font.
const textWidths = new Map(); // font -> text -> width
function textWidth(font, text) {
  let byText = textWidths.get(font);
  if (!byText) { byText = new Map(); textWidths.set(font, byText); }
  let w = byText.get(text);
  if (w === undefined) {
    if (byText.size > 50000) byText.clear();
    w = ctx.measureText(text).width;
    byText.set(text, w);
  }
  return w;
}

function ellipsize(text, maxW) {
  if (ctx.measureText(text).width <= maxW) return text;
  let lo = 0, hi = text.length;
  while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (ctx.measureText(text.slice(0, mid) + '…').width <= maxW) lo = mid; else hi = mid - 1; }
  return text.slice(0, lo) + '…';
}

function frame(t) {
  seen.frames++;
  const dt = Math.min(100, t - lastT);
  lastT = t;
  const m = ui.model;
  if (m) {
    if (ui.playing) {
      ui.acc += dt / 1000 * Number($('speed').value);
      const k = Math.floor(ui.acc);
      if (k > 0) {
        ui.acc -= k;
        const from = ui.step, rest = restOf(m);
        ui.step = Math.min(m.n, ui.step + k);
        if (rest >= 0 && from < rest && ui.step >= rest) { ui.step = rest; setPlaying(false); }
        $('scrub').value = String(ui.step);
        if (ui.step >= m.n && !(m.kind === 'live' && !m.done)) setPlaying(false);
      }
    } else if (ui.follow && m === ui.liveModel) {
      followLive(m, dt);
    }
  }
  draw(dt);
  writeURL(false);
  requestAnimationFrame(frame);
}

// Following a live run. Events arrive in bursts (a run at a fast pace, or
// none, emits dozens within one frame, and the server sends them every
// 20 ms), so jumping to the newest event would skip the states in between:
// a producer blocked on a full channel for 30 ms would never be drawn.
// Instead the playhead trails the live end and shows every step for at
// least LIVE_STEP_MS, and a step where a goroutine starts to wait (or a
// violation) for LIVE_WAIT_MS: long enough to be seen. Time spent at the
// live end waiting for the next event counts, so a run slower than this
// is shown as it happens. When the playhead falls behind, every dwell
// shrinks in proportion to the backlog (LIVE_BACKLOG steps keep the full
// dwell), so however fast a program emits, the page stays about a second
// behind it.
const LIVE_STEP_MS = 30, LIVE_WAIT_MS = 320, LIVE_BACKLOG = 40;

function liveDwell(m, step) {
  const e = step > 0 ? m.events[step - 1] : null;
  const base = e && (e.kind === 'block' || e.kind === 'violation') ? LIVE_WAIT_MS : LIVE_STEP_MS;
  return base / Math.max(1, (m.n - step) / LIVE_BACKLOG);
}

// restOf is the step a finished run rests on when it ended with a
// violation (Model.restStep), or -1: a run still going may yet do more.
function restOf(m) {
  return m.done ? m.restStep() : -1;
}

function followLive(m, dt) {
  ui.dwell += dt;
  const start = ui.step, rest = restOf(m);
  if (rest >= 0 && ui.step === rest) {
    // the run ended with a violation: the page stays on it rather than on
    // the goroutines the tracer stopped afterwards (End shows them)
    ui.follow = false; ui.dwell = 0;
    updateMode();
    return;
  }
  while (ui.step < m.n && ui.step !== rest && ui.dwell >= liveDwell(m, ui.step)) {
    ui.dwell -= liveDwell(m, ui.step);
    ui.step++;
    // a step meant to be seen is drawn, whatever time this frame took
    if (liveDwell(m, ui.step) >= 2 * LIVE_STEP_MS) { ui.dwell = 0; break; }
  }
  // waiting at the live end counts toward the dwell of the last step,
  // not toward the steps still to come
  if (ui.step >= m.n) ui.dwell = Math.min(ui.dwell, liveDwell(m, ui.step));
  if (ui.step !== start) $('scrub').value = String(ui.step);
}

let lastPanelStep = -1, lastPanelModel = null, lastPanelTime = 0;

function draw(dt) {
  const { w, h, dpr } = resizeCanvas();
  const C = ui.colors;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.fillStyle = C.bg;
  ctx.fillRect(0, 0, w, h);
  const m = ui.model;
  if (!m) {
    ctx.fillStyle = C.muted;
    ctx.font = `${fontPx() * 1.2}px ${C.font}`;
    ctx.fillText('Pick a scenario and press Run, or open a trace file.', 24, 40);
    if (ui.urlError) {
      // the link's problem, where the stage would be, a line per problem
      ctx.fillStyle = C.viol;
      ctx.font = `600 ${fontPx() * 1.05}px ${C.font}`;
      ctx.fillText('This link cannot be shown:', 24, 40 + fontPx() * 2.4);
      ctx.font = `${fontPx()}px ${C.font}`;
      ui.urlError.split('; ').forEach((line, i) => ctx.fillText(ellipsize(line, w - 48), 24, 40 + fontPx() * (4 + 1.6 * i)));
    }
    layout = null;
    return;
  }
  const st = m.stateAt(ui.step);
  const { fit, tall } = fitScale(m, st, w, h), sc = fit * ui.zoom;
  const L = computeLayout(m, st, w / sc, h / sc);
  // a scene shorter than the stage sits in its middle
  L.scale = sc; L.fit = fit; L.tall = tall; L.oy = Math.max(0, Math.floor((h / sc - L.height) / 2));
  layout = L;
  const spacer = $('spacer'), over = Math.max(0, Math.floor(L.height * sc - h)) + 'px';
  if (spacer.style.height !== over) spacer.style.height = over;
  // sy, vh: the scroll and the stage's height, in scene pixels
  const scroll = $('stage-scroll').scrollTop, sy = scroll / sc - L.oy, vh = h / sc;
  ctx.translate(0, -scroll);
  ctx.scale(sc, sc);
  ctx.translate(0, L.oy);
  const fp = L.fp;
  const dim = g => ui.filterSet && !ui.filterSet.gs.has(g);

  // who waits on what
  const sendersOn = new Map(), recvOn = new Map(), lockWait = new Map();
  for (const [g, gs] of st.g) {
    if (gs.st !== 'blocked') continue;
    if (gs.on === 'send') sendersOn.set(gs.ch, [...(sendersOn.get(gs.ch) || []), g]);
    if (gs.on === 'recv') recvOn.set(gs.ch, [...(recvOn.get(gs.ch) || []), g]);
    if (gs.on === 'select') { // one goroutine waiting on several channels
      for (const c of gs.cases || []) {
        if (!c.ch) continue;
        const on = c.dir === 'send' ? sendersOn : recvOn;
        on.set(c.ch, [...(on.get(c.ch) || []), g]);
      }
    }
    if (gs.on === 'lock') lockWait.set(gs.mu, [...(lockWait.get(gs.mu) || []), g]);
  }

  // a deadlock's wait-for cycle, drawn over the wait lines it replaces
  const cyc = deadlockCycle(m, st);
  const inCycle = new Set(cyc ? cyc.edges.filter(e => e.role !== 'held').map(e => e.from.g) : []);
  const cycleMus = new Set(cyc ? cyc.edges.filter(e => e.to.mu).map(e => e.to.mu) : []);
  const marked = []; // the lanes drawn marked, for the tests

  // lanes
  const fullNow = new Set(); // goroutines drawn waiting to send on a full channel
  const counts = [];         // the lanes' ↓N, drawn over the wait lines
  let i = 0;
  for (const [g, Ln] of L.lanes) {
    i++;
    if (Ln.y + Ln.h < sy || Ln.y > sy + vh) continue;
    const gs = st.g.get(g);
    ctx.globalAlpha = dim(g) ? 0.25 : 1;
    ctx.fillStyle = i % 2 ? C.lane : C['lane-alt'];
    roundRect(4, Ln.y, L.laneW - 4, Ln.h, 5); ctx.fill();
    const mark = st.marked.get(g);
    if (ui.filter === g) { ctx.strokeStyle = C.sel; ctx.lineWidth = 2; ctx.stroke(); }
    else if (mark) { ctx.strokeStyle = C.viol; ctx.lineWidth = 2.5; ctx.stroke(); }
    ctx.font = `${Ln.closed ? fp * 0.8 : fp * 0.92}px ${C.font}`;
    ctx.fillStyle = Ln.closed ? C.ended : C.fg;
    ctx.textBaseline = 'middle';
    const cyL = Ln.y + Ln.h / 2;
    if (mark) {
      // a goroutine a violation names: its name in the violation's colour,
      // and what it is, under the name when the lane has room
      const two = Ln.h >= fp * 2.3;
      ctx.fillStyle = C.viol;
      ctx.font = `600 ${Ln.closed ? fp * 0.8 : fp * 0.92}px ${C.font}`;
      ctx.fillText(ellipsize('⚠ ' + m.goName(g), L.labelW - 14), 12, two ? cyL - fp * 0.5 : cyL);
      if (two) {
        ctx.font = `${fp * 0.75}px ${C.font}`;
        ctx.fillText(mark === 'deadlock' ? 'in the deadlock' : 'leaked', 12 + fp * 1.1, cyL + fp * 0.6);
      }
      marked.push({ g, name: m.goName(g), mark });
    } else ctx.fillText(ellipsize(m.goName(g), L.labelW - 14), 12, cyL);
    // the state badge
    const { txt, col, icon } = badge(m, st, g);
    if (gs.st === 'blocked' && gs.on === 'send') {
      seen.blockedSend.add(m.goName(g));
      const ch = m.chans.get(gs.ch);
      if (ch && ch.cap > 0 && (st.q.get(gs.ch) || []).length >= ch.cap) fullNow.add(m.goName(g));
    }
    ctx.font = `${fp * 0.8}px ${C.font}`;
    const iw = BADGE_ICON * fp;
    if (Ln.closed) {
      ctx.fillStyle = col;
      badgeIcon(icon, L.labelW, cyL, fp, col);
      ctx.fillText(txt, L.labelW + iw, cyL);
    } else {
      // a state is a square-cornered tag: outlined while running, filled
      // while waiting; a value is a filled pill
      const bw = Ln.bw;
      roundRect(L.labelW - 4, cyL - fp * 0.7, bw, fp * 1.4, fp * 0.2);
      if (icon === 'run') {
        ctx.strokeStyle = col; ctx.lineWidth = 1.5; ctx.stroke();
        badgeIcon(icon, L.labelW + 2, cyL, fp, col);
        ctx.fillStyle = C.fg;
      } else {
        ctx.fillStyle = col; ctx.fill();
        badgeIcon(icon, L.labelW + 2, cyL, fp, C.bg);
        ctx.fillStyle = C.bg;
      }
      ctx.fillText(ellipsize(txt, bw - 12 - iw), L.labelW + 2 + iw, cyL);
      Ln.badgeEnd = L.labelW - 4 + bw;
      const r = st.recv.get(g);
      if (r) counts.push({ txt: `↓${r}`, y: cyL, bg: i % 2 ? C.lane : C['lane-alt'], a: ctx.globalAlpha });
    }
    ctx.globalAlpha = 1;
  }

  // what the tests read: who was drawn blocked on a full channel, and for how long
  // (what the last frame drew stayed on screen until this one)
  for (const [name, ms] of blockedRun) {
    blockedRun.set(name, ms + dt);
    seen.fullWithBlockedMs.set(name, Math.max(seen.fullWithBlockedMs.get(name) || 0, ms + dt));
    if (!fullNow.has(name)) blockedRun.delete(name);
  }
  for (const name of fullNow) {
    seen.fullWithBlocked.add(name);
    if (!blockedRun.has(name)) blockedRun.set(name, 0);
  }

  // channels
  ctx.textBaseline = 'middle';
  for (const [ch, B] of L.chans) {
    const info = m.chans.get(ch);
    const senders = sendersOn.get(ch) || [], receivers = recvOn.get(ch) || [];
    const full = B.cap > 0 && B.q.length >= B.cap;
    const pressure = senders.length > 0 && (full || B.cap === 0);
    ctx.fillStyle = C.chan;
    roundRect(B.x, B.y, B.w, B.h, 6); ctx.fill();
    ctx.lineWidth = pressure ? 2.5 : 1;
    ctx.strokeStyle = pressure ? C.full : C.line;
    ctx.stroke();
    ctx.font = `600 ${fp * 0.85}px ${C.font}`;
    ctx.fillStyle = C.fg;
    const capTxt = B.cap < 0 ? 'unbounded' : B.cap === 0 ? 'unbuffered' : `${B.q.length}/${B.cap}`;
    const name = ellipsize(`${info.name}`, B.w * 0.45);
    const nameW = ctx.measureText(name).width;
    ctx.fillText(name, B.x + 8, B.y + fp * 0.85);
    ctx.font = `${fp * 0.78}px ${C.font}`;
    let tag = capTxt;
    if (st.closed.has(ch)) tag += ' · closed';
    if (pressure) tag = (full ? `FULL ${capTxt}` : 'no receiver') + ` · ${senders.length} sender${senders.length > 1 ? 's' : ''} wait`;
    else if (receivers.length) tag += ` · ${receivers.length} receiver${receivers.length > 1 ? 's' : ''} wait`;
    ctx.fillStyle = pressure ? C.full : C.muted;
    ctx.textAlign = 'right';
    // the tag takes the room the name leaves
    ctx.fillText(ellipsize(tag, B.w - 16 - nameW - fp * 0.8), B.x + B.w - 8, B.y + fp * 0.85);
    ctx.textAlign = 'left';
    for (let k = 0; k < B.shown; k++) {
      const r = Math.floor(k / B.maxSlots), c = k % B.maxSlots;
      const x = B.x + 8 + c * (B.slotW + 4), y = B.y + fp * 1.6 + 4 + r * (B.slotH + 4);
      ctx.fillStyle = C.slot;
      roundRect(x, y, B.slotW, B.slotH, 4); ctx.fill();
      if (B.cap === 0) { ctx.setLineDash([3, 3]); ctx.strokeStyle = C.muted; ctx.lineWidth = 1; ctx.stroke(); ctx.setLineDash([]); }
    }
    if (B.nslots > B.shown) { ctx.fillStyle = C.muted; ctx.fillText(`+${B.nslots - B.shown}`, B.x + B.w - 34, B.y + B.h - fp * 0.7); }
  }

  // mutexes
  for (const [mu, B] of L.mus) {
    const holder = st.held.get(mu), waiters = lockWait.get(mu) || [];
    ctx.fillStyle = C.chan;
    roundRect(B.x, B.y, B.w, B.h, 6); ctx.fill();
    ctx.strokeStyle = cycleMus.has(mu) ? C.viol : holder ? C.lock : C.line;
    ctx.lineWidth = cycleMus.has(mu) ? 2.5 : holder ? 2 : 1; ctx.stroke();
    ctx.font = `600 ${fp * 0.85}px ${C.font}`; ctx.fillStyle = C.fg;
    ctx.fillText(`mutex ${B.name}`, B.x + 8, B.y + fp * 0.9);
    ctx.font = `${fp * 0.8}px ${C.font}`; ctx.fillStyle = holder ? C.lock : C.muted;
    ctx.fillText(ellipsize(holder ? `held by ${m.goName(holder)}` : 'free', B.w - 16), B.x + 8, B.y + fp * 2.3);
    if (waiters.length) {
      ctx.textAlign = 'right'; ctx.fillStyle = C.lock;
      ctx.fillText(`queue: ${waiters.map(g => 'g' + g).join(' ')}`, B.x + B.w - 8, B.y + fp * 2.3);
      ctx.textAlign = 'left';
    }
  }

  // lines from a waiting goroutine to what it waits on
  ctx.lineWidth = 1.6;
  const waitLine = (x0, y0, x1, y1, col, dimmed) => {
    ctx.globalAlpha = dimmed ? 0.2 : 0.8;
    ctx.strokeStyle = col; ctx.setLineDash([5, 4]);
    ctx.beginPath(); ctx.moveTo(x0, y0);
    const mx = (x0 + x1) / 2;
    ctx.bezierCurveTo(mx, y0, mx, y1, x1, y1); ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = col; ctx.beginPath(); ctx.arc(x1, y1, 3.5, 0, 7); ctx.fill();
    ctx.globalAlpha = 1;
  };
  for (const [g, gs] of st.g) {
    if (gs.st !== 'blocked' || inCycle.has(g)) continue;
    const Ln = L.lanes.get(g);
    if (!Ln) continue;
    const x0 = L.perLane.get(g) ?? (Ln.badgeEnd || L.labelW + L.badgeW), y0 = Ln.y + Ln.h / 2; // after its tokens
    let x1, y1, col;
    if (gs.on === 'select') {
      // a line to every channel the select waits on
      for (const c of gs.cases || []) {
        if (!c.ch || !L.chans.has(c.ch)) continue;
        const B = L.chans.get(c.ch);
        waitLine(x0, y0, B.x, B.y + B.h / 2, c.dir === 'send' ? C.send : C.recv, dim(g));
        seen.selectWaits.add(`${m.goName(g)} → ${m.chanName(c.ch)}`);
      }
      continue;
    }
    if ((gs.on === 'send' || gs.on === 'recv') && L.chans.has(gs.ch)) {
      const B = L.chans.get(gs.ch); x1 = B.x; y1 = B.y + B.h / 2; col = gs.on === 'send' ? C.send : C.recv;
    } else if (gs.on === 'lock' && L.mus.has(gs.mu)) {
      const B = L.mus.get(gs.mu); x1 = B.x; y1 = B.y + B.h / 2; col = C.lock;
    } else if (gs.on === 'join' && L.lanes.has(gs.child)) {
      const T = L.lanes.get(gs.child); x1 = L.labelW - 8; y1 = T.y + T.h / 2; col = C.join;
      ctx.globalAlpha = dim(g) ? 0.2 : 0.85;
      ctx.strokeStyle = col; ctx.setLineDash([5, 4]);
      ctx.beginPath(); ctx.moveTo(L.labelW - 8, y0); ctx.bezierCurveTo(L.labelW - 40, y0, L.labelW - 40, y1, x1, y1); ctx.stroke();
      ctx.setLineDash([]); ctx.globalAlpha = 1;
      continue;
    } else continue;
    waitLine(x0, y0, x1, y1, col, dim(g));
  }

  drawViolation(m, st, L, cyc, marked, dim);

  // the counts of values received, over the lines that cross them
  ctx.font = `${fp * 0.8}px ${C.font}`;
  ctx.textAlign = 'right';
  for (const c of counts) {
    const tw = textWidth(ctx.font, c.txt);
    ctx.globalAlpha = c.a;
    ctx.fillStyle = c.bg; ctx.fillRect(L.laneW - 10 - tw, c.y - fp * 0.6, tw + 4, fp * 1.2);
    ctx.fillStyle = C.muted; ctx.fillText(c.txt, L.laneW - 8, c.y);
  }
  ctx.textAlign = 'left'; ctx.globalAlpha = 1;

  // tokens, easing toward where they belong
  const ease = 1 - Math.exp(-dt / 90);
  for (const v of tokens.keys()) if (!L.targets.has(v)) tokens.delete(v);
  ctx.font = `${fp * 0.78}px ${C.font}`;
  ctx.textBaseline = 'middle';
  const lastE = ui.step > 0 ? m.events[ui.step - 1] : null;
  for (const [v, T] of L.targets) {
    let p = tokens.get(v);
    if (!p) { p = { x: T.x, y: T.y, a: 0 }; tokens.set(v, p); }
    p.x += (T.x - p.x) * ease; p.y += (T.y - p.y) * ease; p.a = Math.min(1, p.a + dt / 200);
    if (Math.abs(T.x - p.x) < 0.3) p.x = T.x;
    if (Math.abs(T.y - p.y) < 0.3) p.y = T.y;
    p.w = T.w; p.h = T.h;
    if (T.hidden && p.x === T.x && p.y === T.y) { p.hidden = true; continue; }
    p.hidden = false;
    if (p.y + T.h < sy || p.y > sy + vh) continue;
    const o = st.owner.get(v);
    ctx.globalAlpha = p.a * (o && o.k === 'g' && dim(o.id) ? 0.25 : 1);
    ctx.fillStyle = C.token;
    roundRect(p.x, p.y, T.w, T.h, T.h / 2); ctx.fill();
    if (v === ui.selected || (lastE && lastE.v === v && lastE.kind === 'violation')) { ctx.strokeStyle = v === ui.selected ? C.sel : C.viol; ctx.lineWidth = 2.5; ctx.stroke(); }
    ctx.fillStyle = C['token-fg'];
    const label = m.label(v), shown = ellipsize(label, T.w - 10);
    if (shown !== label) seen.cutLabels.add(label);
    ctx.fillText(shown, p.x + 6, p.y + T.h / 2 + 0.5);
  }
  ctx.globalAlpha = 1;
  // a lane with more tokens than room says how many
  for (const [g, k] of L.hiddenIn) {
    const Ln = L.lanes.get(g);
    if (Ln) { ctx.fillStyle = C.fg; ctx.fillText(`+${k}`, L.perLane.get(g) ?? L.labelW + Ln.bw + 6, Ln.y + Ln.h / 2); }
  }
  ctx.setTransform(1, 0, 0, 1, 0, 0);

  // panels, at most ten times a second
  const now = performance.now();
  if ((ui.step !== lastPanelStep || m !== lastPanelModel) && now - lastPanelTime > 100) {
    lastPanelStep = ui.step; lastPanelModel = m; lastPanelTime = now;
    $('stepno').textContent = `${ui.step} / ${m.n}`;
    renderEvents();
    renderBanner(st);
    renderInspector();
  }
}

// drawViolation draws a deadlock's wait-for cycle as a closed loop in the
// violation's colour: from each goroutine of the cycle to the mutex it
// waits for (or the child it waits to join), and from the mutex to the
// goroutine holding it, which waits in turn. It leaves in seen.violation
// what it drew, in client pixels, for the tests.
function drawViolation(m, st, L, cyc, marked, dim) {
  const C = ui.colors, fp = L.fp;
  const drawn = { step: ui.step, rule: st.lastViol >= 0 ? m.events[st.lastViol].rule : '', color: C.viol, marked, cycle: null };
  seen.violation = drawn.rule || marked.length ? drawn : null;
  if (!cyc || !cyc.edges.length) return;
  const r = canvas.getBoundingClientRect(), sy = $('stage-scroll').scrollTop, sc = L.scale;
  const client = (x, y) => ({ x: r.left + x * sc, y: r.top + (y + L.oy) * sc - sy });
  const laneMid = g => { const Ln = L.lanes.get(g); return Ln && Ln.y + Ln.h / 2; };
  const name = end => end.g ? m.goName(end.g) : `mutex ${(m.mutexes.get(end.mu) || { name: 'mu' + end.mu }).name}`;
  const edges = [];
  ctx.strokeStyle = C.viol; ctx.fillStyle = C.viol; ctx.lineWidth = 3; ctx.setLineDash([]);
  for (const e of cyc.edges) {
    let x0, y0, x1, y1, c1x, c2x;
    if (e.role === 'waits') {
      const Ln = L.lanes.get(e.from.g), B = L.mus.get(e.to.mu);
      if (!Ln || !B) continue;
      x0 = L.perLane.get(e.from.g) ?? (Ln.badgeEnd || L.labelW + L.badgeW); y0 = laneMid(e.from.g);
      x1 = B.x; y1 = B.y + B.h * 0.32;
    } else if (e.role === 'held') {
      const B = L.mus.get(e.from.mu);
      if (!B || !L.lanes.has(e.to.g)) continue;
      x0 = B.x; y0 = B.y + B.h * 0.68;
      x1 = L.laneW; y1 = laneMid(e.to.g);
    } else { // joins: along the left of the lanes, as the join's wait line
      if (!L.lanes.has(e.from.g) || !L.lanes.has(e.to.g)) continue;
      x0 = L.labelW - 8; y0 = laneMid(e.from.g); x1 = L.labelW - 8; y1 = laneMid(e.to.g);
      c1x = c2x = L.labelW - 44;
    }
    if (c1x === undefined) c1x = c2x = (x0 + x1) / 2;
    ctx.globalAlpha = e.from.g && dim(e.from.g) ? 0.35 : 1;
    ctx.beginPath(); ctx.moveTo(x0, y0); ctx.bezierCurveTo(c1x, y0, c2x, y1, x1, y1); ctx.stroke();
    // the arrowhead, along the curve's last direction
    const dir = Math.sign(x1 - c2x) || 1, a = fp * 0.55;
    ctx.beginPath(); ctx.moveTo(x1, y1); ctx.lineTo(x1 - dir * a, y1 - a * 0.55); ctx.lineTo(x1 - dir * a, y1 + a * 0.55); ctx.closePath(); ctx.fill();
    ctx.globalAlpha = 1;
    // a cubic whose controls sit at the same x halfway is at its middle at t = 1/2
    const mid = client((x0 + 3 * c1x + 3 * c2x + x1) / 8, (y0 + y1) / 2);
    edges.push({ from: name(e.from), to: name(e.to), role: e.role, mid });
    if (e.role === 'held') {
      // the half of the cycle the mutex box alone would tell: the holder
      // holds it, said in its lane where the arrow comes in
      ctx.font = `600 ${fp * 0.78}px ${C.font}`; ctx.textAlign = 'right'; ctx.textBaseline = 'middle';
      ctx.fillText(`holds ${(m.mutexes.get(e.from.mu) || { name: 'mu' + e.from.mu }).name}`, x1 - a * 0.4, y1 + fp * 0.9);
      ctx.textAlign = 'left';
    }
  }
  drawn.cycle = { closed: cyc.closed, edges, goroutines: cyc.gs.map(g => m.goName(g)) };
}

// ---- panels ----
function renderEvents() {
  const m = ui.model, ol = $('events');
  if (!m) { ol.innerHTML = ''; return; }
  let idx;
  if (ui.filterSet) {
    const all = ui.filterSet.idx;
    // the window around the playhead, in the filtered list
    let lo = 0, hi = all.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (all[mid] < ui.step) lo = mid + 1; else hi = mid; }
    idx = all.slice(Math.max(0, lo - 40), lo + 12);
  } else {
    idx = [];
    for (let i = Math.max(0, ui.step - 40); i < Math.min(m.n, ui.step + 12); i++) idx.push(i);
  }
  const frag = document.createDocumentFragment();
  let cur = null;
  for (const i of idx) {
    const e = m.events[i];
    const li = document.createElement('li');
    li.dataset.i = String(i);
    if (i === ui.step - 1) { li.className = 'cur'; cur = li; } else if (i >= ui.step) li.className = 'future';
    if (e.kind === 'violation') li.classList.add('viol');
    const seq = document.createElement('span'); seq.className = 'seq'; seq.textContent = e.seq;
    const d = document.createElement('span'); d.textContent = m.describe(e);
    li.append(seq, d);
    if (e.at) li.title = e.at;
    frag.append(li);
  }
  ol.replaceChildren(frag);
  if (cur) cur.scrollIntoView({ block: 'nearest' });
}

let bannerViol = -1;
function renderBanner(st) {
  const m = ui.model, b = $('banner');
  const i = st.lastViol;
  if (i < 0) { b.hidden = true; bannerViol = -1; return; }
  const e = m.events[i];
  b.hidden = false;
  b.innerHTML = '';
  const t = document.createElement('span'); t.textContent = `⚠ ${e.rule}: ${e.msg || ''}`;
  b.append(t);
  if (e.at) { const a = document.createElement('span'); a.className = 'at'; a.textContent = e.at; b.append(a); }
  if (i !== bannerViol) { b.classList.remove('flash'); void b.offsetWidth; b.classList.add('flash'); bannerViol = i; }
}

function renderInspector() {
  const box = $('inspector'), m = ui.model;
  if (!m || (!ui.selected && !ui.filter)) {
    box.innerHTML = '<p class="muted small">Click a value to see who owned it and when; click a goroutine\'s name to keep only its interactions.</p>';
    return;
  }
  box.innerHTML = '';
  if (ui.filter) {
    const p = document.createElement('p');
    p.className = 'small';
    p.textContent = `Showing only ${m.goName(ui.filter)} and what it touches (${ui.filterSet.idx.length} events). `;
    const b = document.createElement('button'); b.type = 'button'; b.textContent = 'show all'; b.onclick = () => setFilter(0);
    p.append(b); box.append(p);
  }
  if (ui.selected) {
    const v = ui.selected;
    const h = document.createElement('p');
    h.innerHTML = '';
    const name = document.createElement('strong'); name.textContent = m.label(v);
    const own = document.createElement('span'); own.id = 'owner-now'; own.textContent = m.ownerText(v, ui.step);
    h.append(name, document.createTextNode(' is owned by '), own);
    box.append(h);
    const ol = document.createElement('ol');
    for (const x of m.history(v)) {
      const li = document.createElement('li');
      li.textContent = `#${m.events[x.i].seq} ${x.what} `;
      if (x.at) { const a = document.createElement('span'); a.className = 'at'; a.textContent = x.at; li.append(a); }
      if (x.i < ui.step) li.className = 'past';
      li.onclick = () => setStep(x.i + 1);
      ol.append(li);
    }
    const past = ol.querySelectorAll('li.past');
    if (past.length) past[past.length - 1].classList.add('now');
    box.append(ol);
  }
}

function selectValue(v) {
  ui.selected = v;
  lastPanelStep = -1;
  renderInspector();
}

function setFilter(g) {
  if (!ui.model || ui.filter === g) g = 0;
  ui.filter = g;
  ui.filterSet = g ? ui.model.interactions(g) : null;
  $('filter-note').textContent = g ? `· only ${ui.model.goName(g)}` : '';
  lastPanelStep = -1;
  renderInspector();
  renderEvents();
}

function summary() {
  const m = ui.model;
  if (!m) return null;
  const st = m.stateAt(ui.step);
  const gs = [];
  for (const g of m.gOrder) {
    const s = st.g.get(g);
    if (!s) continue;
    const owns = [];
    for (const [v, o] of st.owner) if (o.k === 'g' && o.id === g) owns.push(m.label(v));
    gs.push({ id: g, name: m.gName.get(g), state: s.st, on: s.on, received: st.recv.get(g) || 0, owns, panic: s.panic, joinPanic: s.joinPanic });
  }
  const chans = [];
  for (const [ch, info] of m.chans) chans.push({ id: ch, name: info.name, cap: info.cap, holds: (st.q.get(ch) || []).map(v => m.label(v)) });
  return { source: m.source, step: ui.step, n: m.n, goroutines: gs, channels: chans, violation: st.lastViol >= 0 ? m.events[st.lastViol].rule : '' };
}

function drawMarks() {
  const c = $('marks'), m = ui.model;
  const w = c.clientWidth, h = c.clientHeight, dpr = window.devicePixelRatio || 1;
  c.width = Math.round(w * dpr); c.height = Math.round(h * dpr);
  const x = c.getContext('2d');
  x.setTransform(dpr, 0, 0, dpr, 0, 0);
  x.clearRect(0, 0, w, h);
  if (!m || !m.n) return;
  x.fillStyle = ui.colors.viol;
  for (const i of m.violations) x.fillRect(8 + (w - 16) * (i + 1) / m.n - 1, 0, 3, h);
}

// ---- hit tests on the stage ----
function stagePoint(ev) {
  const r = canvas.getBoundingClientRect(), sc = layout ? layout.scale : 1;
  return { x: (ev.clientX - r.left) / sc, y: (ev.clientY - r.top + $('stage-scroll').scrollTop) / sc - (layout ? layout.oy : 0) };
}
function hit(p) {
  if (!layout) return null;
  for (const [v, t] of tokens) {
    if (!t.hidden && p.x >= t.x && p.x <= t.x + t.w && p.y >= t.y && p.y <= t.y + t.h) return { v };
  }
  for (const [g, Ln] of layout.lanes) {
    if (p.y >= Ln.y && p.y <= Ln.y + Ln.h && p.x < layout.laneW) return { g, label: p.x < layout.labelW };
  }
  for (const [ch, B] of layout.chans) if (p.x >= B.x && p.x <= B.x + B.w && p.y >= B.y && p.y <= B.y + B.h) return { ch };
  return null;
}
canvas.addEventListener('click', ev => {
  const x = hit(stagePoint(ev));
  if (!x) { selectValue(0); return; }
  if (x.v) selectValue(x.v);
  else if (x.g) setFilter(x.g);
});
canvas.addEventListener('mousemove', ev => {
  const p = stagePoint(ev), x = hit(p), tip = $('tip'), m = ui.model;
  if (!x || !m) { tip.hidden = true; canvas.style.cursor = ''; return; }
  let text = '';
  if (x.v) text = `${m.label(x.v)} — owned by ${m.ownerText(x.v, ui.step)} (click for its history)`;
  else if (x.g) text = `${m.goName(x.g)} — click to keep only its interactions`;
  else if (x.ch) { const c = m.chans.get(x.ch); text = `channel ${c.name}, ${c.cap < 0 ? 'unbounded' : c.cap === 0 ? 'unbuffered' : 'capacity ' + c.cap}`; }
  canvas.style.cursor = x.v || x.g ? 'pointer' : '';
  tip.textContent = text; tip.hidden = false;
  const wrap = $('stage-wrap').getBoundingClientRect();
  tip.style.left = Math.min(ev.clientX - wrap.left + 12, wrap.width - 260) + 'px';
  tip.style.top = (ev.clientY - wrap.top + 14) + 'px';
});
canvas.addEventListener('mouseleave', () => { $('tip').hidden = true; });

// ---- controls ----
$('scenario').onchange = showScenario;
$('run').onclick = () => {
  const name = $('scenario').value;
  if (!name) return;
  ui.landing = null;
  sendOp({ op: 'run', scenario: name, pace: Number($('pace').value) });
  status(`running ${name}…`);
};
// Stop ends the live run this page shows or started, never another one.
$('stop').onclick = () => {
  const live = ui.liveModel;
  if (!live || live.done || (ui.model !== live && !ui.liveMine)) return status('no live run on this page to stop');
  sendOp({ op: 'stop', session: ui.liveSession });
};
$('play').onclick = () => setPlaying(!ui.playing);
$('back').onclick = () => { setPlaying(false); setStep(ui.step - 1); };
$('fwd').onclick = () => { setPlaying(false); setStep(ui.step + 1); };
$('first').onclick = () => { setPlaying(false); setStep(0); };
$('last').onclick = () => { setPlaying(false); setStep(ui.model ? ui.model.n : 0); };
$('scrub').oninput = () => { setPlaying(false); setStep(Number($('scrub').value)); };
$('follow').onclick = () => {
  ui.landing = null;
  if (ui.liveModel && ui.model !== ui.liveModel) show(ui.liveModel);
  ui.follow = true; ui.step = ui.model ? ui.model.n : 0; ui.dwell = 0; refreshBounds();
  if (ui.liveModel) status(`watching the live run of ${ui.liveModel.source}`);
};
$('events').addEventListener('click', ev => {
  const li = ev.target.closest('li');
  if (li) { setPlaying(false); setStep(Number(li.dataset.i) + 1); }
});
$('events').addEventListener('mouseover', ev => {
  const li = ev.target.closest('li');
  if (!li || !ui.model) return;
  const e = ui.model.events[Number(li.dataset.i)];
  $('callsite').textContent = e && e.at ? `call site: ${e.at}` : 'no call site recorded for this event';
});

// ---- keys ----
// The keys work wherever the focus is, except in a text field: they are
// taken before a focused select, range or button sees them (a select
// would change its value on an arrow, a button would click on space).
const keys = {
  ArrowLeft: () => { setPlaying(false); setStep(ui.step - 1); },
  ArrowRight: () => { setPlaying(false); setStep(ui.step + 1); },
  ' ': () => setPlaying(!ui.playing),
  Home: () => { setPlaying(false); setStep(0); },
  End: () => { setPlaying(false); setStep(ui.model ? ui.model.n : 0); },
  '?': () => showKeys($('keys').hidden),
  Escape: () => { if (!$('keys').hidden) showKeys(false); else setPresent(false); },
  '+': () => setZoom(ui.zoom * ZOOM_STEP),
  '=': () => setZoom(ui.zoom * ZOOM_STEP),
  '-': () => setZoom(ui.zoom / ZOOM_STEP),
  '0': () => setZoom(1),
  f: () => setPresent(!url.present),
  l: () => showLegend($('legend').hidden),
};
function isTextField(el) {
  if (!el || !el.tagName) return false;
  if (el.isContentEditable || el.tagName === 'TEXTAREA') return true;
  return el.tagName === 'INPUT' && !['button', 'checkbox', 'radio', 'range', 'file', 'submit', 'reset', 'color', 'image'].includes(el.type);
}
document.addEventListener('keydown', ev => {
  const act = keys[ev.key];
  if (!act || ev.ctrlKey || ev.metaKey || ev.altKey || isTextField(ev.target)) return;
  if (ev.key === 'Escape' && $('keys').hidden && !url.present) return;
  ev.preventDefault(); ev.stopPropagation();
  if (!ev.repeat || ev.key !== ' ') act();
}, true);
// a focused button clicks on space's keyup, a select opens on its keypress
for (const type of ['keyup', 'keypress']) {
  document.addEventListener(type, ev => {
    if (keys[ev.key] && ev.key !== 'Escape' && !ev.ctrlKey && !ev.metaKey && !ev.altKey && !isTextField(ev.target)) ev.preventDefault();
  }, true);
}
function showKeys(on) { $('keys').hidden = !on; }

// ---- zoom, presentation, legend ----
const ZOOM_STEP = 1.25;
function setZoom(z) {
  z = Math.min(ZOOM_MAX, Math.max(ZOOM_MIN, z));
  ui.zoom = Math.abs(z - 1) < 0.02 ? 1 : z;
}
// The wheel zooms the stage, unless the scene is taller than the stage
// even when fitted (many goroutines): then it scrolls, and Ctrl+wheel (a
// pinch on a touchpad) zooms.
$('stage-scroll').addEventListener('wheel', ev => {
  if (!layout || (layout.tall && !ev.ctrlKey)) return;
  ev.preventDefault();
  setZoom(ui.zoom * Math.exp(-Math.max(-200, Math.min(200, ev.deltaY)) * 0.002));
}, { passive: false });

// setPresent enters or leaves presentation mode: the stage and a slim step
// bar only. The address bar says present=1 while it lasts.
function setPresent(on) {
  url.present = on;
  document.body.classList.toggle('present', on);
  if (ui.model && !ui.landing) writeURL(true);
  else {
    const q = new URLSearchParams(location.search);
    if (on) q.set('present', '1'); else q.delete('present');
    const s = q.toString();
    history.replaceState(null, '', location.pathname + (s ? '?' + s : ''));
  }
  drawMarks(); // the scrubber changed its width
}

function showLegend(on) {
  $('legend').hidden = !on;
  $('legend-button').setAttribute('aria-pressed', String(on));
}
$('legend-button').onclick = () => showLegend($('legend').hidden);
$('present-button').onclick = () => setPresent(true);
$('keys-button').onclick = () => showKeys($('keys').hidden);
$('keys').onclick = () => showKeys(false);
$('theme').onclick = () => setTheme(ui.theme === 'dark' ? 'light' : 'dark');
function setTheme(t) {
  ui.theme = t;
  document.documentElement.dataset.theme = t;
  try { localStorage.setItem('handoff-theme', t); } catch (e) { /* private mode */ }
  readColors();
  drawMarks();
}

// ---- files ----
async function openFile(file) {
  if (!file) return;
  const max = ui.hello ? ui.hello.maxUpload : 64 << 20;
  if (file.size > max) return status(`open ${file.name}: the file is ${(file.size / 1048576).toFixed(1)} MiB, more than the limit of ${(max / 1048576).toFixed(0)} MiB`, true);
  status(`opening ${file.name}…`);
  try {
    const r = await fetch('/api/parse', { method: 'POST', body: file });
    const j = await r.json();
    if (!r.ok) return status(`${file.name}: ${j.error}`, true);
    const m = new Model(file.name, 'file');
    m.append(j.events);
    m.done = true;
    show(m);
    status(`${file.name}: ${m.n} events`);
  } catch (e) {
    status(`open ${file.name}: ${e.message}`, true);
  }
}
$('file').onchange = () => { openFile($('file').files[0]); $('file').value = ''; };
let dragDepth = 0;
window.addEventListener('dragenter', ev => { ev.preventDefault(); dragDepth++; $('drop').hidden = false; });
window.addEventListener('dragleave', () => { if (--dragDepth <= 0) { dragDepth = 0; $('drop').hidden = true; } });
window.addEventListener('dragover', ev => ev.preventDefault());
window.addEventListener('drop', ev => {
  ev.preventDefault(); dragDepth = 0; $('drop').hidden = true;
  openFile(ev.dataTransfer.files[0]);
});

function download(name, blob) {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob); a.download = name;
  document.body.append(a); a.click(); a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}
function baseName() { return (ui.model?.source || 'trace').replace(/[^A-Za-z0-9._-]+/g, '_').replace(/\.jsonl$/, ''); }
$('export-jsonl').onclick = () => {
  if (!ui.model) return status('nothing to export yet', true);
  const text = toJSONL(ui.model.source, ui.model.events);
  window.handoff.lastExport = { kind: 'jsonl', size: text.length, head: text.slice(0, 200) };
  download(baseName() + '.jsonl', new Blob([text], { type: 'application/jsonl' }));
};
$('export-svg').onclick = async () => {
  if (!ui.model || ui.step === 0) return status('nothing to export yet: step into the trace first', true);
  status('drawing SVG…');
  const body = toJSONL(ui.model.source, ui.model.events.slice(0, ui.step));
  try {
    // drawn in the page's theme: a dark page exports a dark picture
    const r = await fetch('/api/svg?theme=' + encodeURIComponent(ui.theme), { method: 'POST', body });
    if (!r.ok) { const j = await r.json(); return status(j.error, true); }
    const svg = await r.text();
    window.handoff.lastExport = { kind: 'svg', theme: ui.theme, size: svg.length, head: svg.slice(0, 1000) };
    download(`${baseName()}-${ui.step}.svg`, new Blob([svg], { type: 'image/svg+xml' }));
    status(`SVG of steps 1–${ui.step} downloaded`);
  } catch (e) {
    status('export svg: ' + e.message, true);
  }
};

// ---- start ----
let saved = null;
try { saved = localStorage.getItem('handoff-theme'); } catch (e) { /* private mode */ }
setTheme(saved || (matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light'));
document.body.classList.toggle('present', url.present);
showLegend(true);
window.addEventListener('resize', () => { pageFP = fontPx(); drawMarks(); });
pageFP = fontPx();
connect();
requestAnimationFrame(frame);
