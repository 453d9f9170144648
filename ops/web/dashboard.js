// Stopline dashboard. Reads GET /cameras every second (the same status any
// client reads) and, on a camera's page, its live picture twice a second.
// Plain JavaScript: no build step, nothing fetched from elsewhere.
"use strict";

const POLL_MS = 1000;
const PREVIEW_MS = 500;

// The states of ingest/health.go, in plain words, and their colour.
const STATES = {
  online: { label: "Online", kind: "ok" },
  connecting: { label: "Connecting", kind: "wait" },
  waiting_keyframe: { label: "Waiting for a full picture", kind: "wait" },
  stalled: { label: "Stalled: no video", kind: "bad" },
  offline: { label: "Offline: unreachable", kind: "bad" },
};

const VIOLATIONS = {
  red_light: "Red light",
  wrong_way: "Wrong way",
  speeding: "Speeding",
  illegal_stopping: "Illegal stopping",
  solid_line: "Crossed a solid line",
  restricted_lane: "Vehicle not allowed in the lane",
};

const PHASES = { red: "Red", amber: "Amber", green: "Green", unknown: "Unknown (no reading)" };

let cameras = [];         // the last /cameras answer
let lastAnswer = 0;       // when it came (browser clock)
let failingSince = 0;     // when the worker stopped answering, 0 while it answers
let failure = "";         // why
let clockOffset = 0;      // the worker's clock minus the browser's, from the Date header

const $ = (sel) => document.querySelector(sel);

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function stateOf(c) {
  return STATES[c.health.state] || { label: c.health.state, kind: "wait" };
}

// The worker's "now": times in the status are the worker's.
function now() { return Date.now() + clockOffset; }

// ago says how long before now t was, in words: "12 s ago", "3 min ago".
function ago(t) {
  const ms = now() - new Date(t).getTime();
  if (!isFinite(ms)) return "";
  return duration(ms) + " ago";
}

function duration(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 3) return "a moment";
  if (s < 60) return s + " s";
  const m = Math.floor(s / 60);
  if (m < 60) return m + " min";
  const h = Math.floor(m / 60);
  if (h < 48) return h + " h " + (m % 60) + " min";
  return Math.floor(h / 24) + " days";
}

function clock(t) {
  return new Date(t).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

function fps(v) {
  return v === undefined || v === null ? "measuring…" : v.toFixed(1) + " a second";
}

function hasTime(t) {
  return t && !t.startsWith("0001-");
}

// lag says how far behind the live video the analysis is.
function lag(c) {
  const a = c.activity;
  if (!hasTime(a.last_analysed)) return "nothing analysed yet";
  const idle = now() - new Date(a.last_analysed).getTime();
  if (idle > 2000 || c.health.state !== "online") return "last picture analysed " + ago(a.last_analysed);
  // A picture's time comes from the stream's clock and may run a hair
  // ahead of the worker's.
  return Math.max(0, a.lag_seconds).toFixed(2) + " s behind live";
}

function lastViolation(c) {
  const v = (c.recent_violations || [])[0];
  if (!v) return "none yet";
  return (VIOLATIONS[v.type] || v.type) + ", " + ago(v.time);
}

// The status JSON puts the dashboard's fields beside the others; activity
// collects them with defaults, so older workers' answers still show.
function withActivity(c) {
  c.activity = {
    lag_seconds: c.lag_seconds || 0,
    last_analysed: c.last_analysed,
    fps_in: c.fps_in,
    fps_analysed: c.fps_analysed,
  };
  c.delivery = c.delivery || { pending: 0, delivered: 0, store: "" };
  return c;
}

async function poll() {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), 3000);
  try {
    const res = await fetch("/cameras", { cache: "no-store", signal: ctl.signal });
    if (res.status === 401 || res.status === 403) throw new Error("this worker asks for a login the browser did not give");
    if (!res.ok) throw new Error("the worker answered " + res.status);
    // The Date header is in whole seconds: only a skew larger than that
    // rounding is corrected (a browser on another machine with a wrong
    // clock).
    const date = res.headers.get("Date");
    const skew = date ? new Date(date).getTime() - Date.now() : 0;
    clockOffset = Math.abs(skew) > 2000 ? skew : 0;
    cameras = (await res.json()).map(withActivity);
    lastAnswer = Date.now();
    failingSince = 0;
    failure = "";
  } catch (e) {
    if (!failingSince) failingSince = Date.now();
    failure = e.name === "AbortError" ? "no answer within 3 s" : e.message;
  } finally {
    clearTimeout(timer);
  }
  render();
  setTimeout(poll, POLL_MS);
}

function render() {
  renderHeader();
  const cam = route();
  $("#grid-view").hidden = cam !== null;
  $("#camera-view").hidden = cam === null;
  if (cam === null) renderGrid();
  else renderCamera(cam);
}

// route is the camera shown (#/camera/ID), or null for the grid.
function route() {
  const m = location.hash.match(/^#\/camera\/(.+)$/);
  return m ? decodeURIComponent(m[1]) : null;
}

function renderHeader() {
  const bad = cameras.filter((c) => stateOf(c).kind === "bad").length;
  const ok = cameras.filter((c) => stateOf(c).kind === "ok").length;
  const pending = cameras.reduce((n, c) => n + c.delivery.pending, 0);
  const s = $("#summary");
  s.textContent = "";
  s.append(cameras.length + (cameras.length === 1 ? " camera: " : " cameras: ") + ok + " online");
  if (bad) s.append(", ", el("span", "bad", bad + " with a problem"));
  const waiting = cameras.length - ok - bad;
  if (waiting) s.append(", " + waiting + " starting");
  s.append(" · violations waiting for delivery: " + pending);

  const banner = $("#banner");
  if (failingSince) {
    banner.hidden = false;
    banner.textContent = "The worker has not answered for " + duration(Date.now() - failingSince) + " (" + failure + "). " +
      (lastAnswer ? "What is shown is from " + clock(lastAnswer) + "." : "Nothing has come from it yet.");
  } else {
    banner.hidden = true;
  }
  $("#updated").textContent = lastAnswer ? "updated " + clock(lastAnswer) : "";
  $("main").classList.toggle("stale", !!failingSince);
}

// cards keeps each camera's card, so that an update changes text in place
// and never replaces the element under the operator's pointer.
const cards = new Map();

function renderGrid() {
  const grid = $("#grid");
  const seen = new Set();
  for (const c of cameras) {
    seen.add(c.id);
    let card = cards.get(c.id);
    if (!card) {
      card = makeCard();
      cards.set(c.id, card);
    }
    grid.append(card.root); // keeps the order of /cameras
    fillCard(card, c);
  }
  for (const [id, card] of cards) {
    if (!seen.has(id)) {
      card.root.remove();
      cards.delete(id);
    }
  }
  $("#no-cameras").hidden = cameras.length > 0 || !lastAnswer;
}

function makeCard() {
  const root = el("a", "card");
  const body = el("div", "body");
  const card = { root, name: el("h2"), id: el("div", "id"), state: el("div", "state"), reason: el("div", "reason"), rows: {} };
  const dl = el("dl");
  for (const [key, label] of [["since", "Since"], ["in", "Pictures in"], ["analysed", "Analysed"], ["lag", "Delay"],
    ["violation", "Last violation"], ["pending", "To deliver"]]) {
    const dd = el("dd");
    dd.dataset.row = key;
    dl.append(el("dt", "", label), dd);
    card.rows[key] = dd;
  }
  body.append(card.name, card.id, card.state, card.reason, dl);
  root.append(el("div", "bar"), body);
  return card;
}

function fillCard(card, c) {
  const st = stateOf(c);
  card.root.href = "#/camera/" + encodeURIComponent(c.id);
  card.root.className = "card " + st.kind;
  card.root.dataset.camera = c.id;
  card.root.dataset.state = c.health.state;
  card.name.textContent = c.name || c.id;
  card.id.textContent = c.name ? "camera " + c.id : "";
  card.state.textContent = st.label;
  card.reason.textContent = c.health.reason || "";
  card.reason.title = c.health.reason || "";
  card.rows.since.textContent = ago(c.health.since);
  card.rows.since.title = clock(c.health.since);
  card.rows.in.textContent = fps(c.activity.fps_in);
  card.rows.analysed.textContent = fps(c.activity.fps_analysed);
  card.rows.lag.textContent = lag(c);
  card.rows.violation.textContent = lastViolation(c);
  const n = c.delivery.pending;
  card.rows.pending.textContent = n === 0 ? "nothing waiting" : n + (n === 1 ? " violation waiting" : " violations waiting");
}

// The camera page.

let shown = null;        // the camera whose page is open
let previewTimer = 0;
let violationsKey = "";  // what the violation list shows, to redraw it only when that changes

function renderCamera(id) {
  const c = cameras.find((c) => c.id === id);
  if (shown !== id) {
    shown = id;
    violationsKey = "";
    $("#preview").removeAttribute("src");
    schedulePreview(0);
  }
  $("#cam-name").textContent = c ? (c.name ? c.name + " (" + c.id + ")" : c.id) : id;
  const pill = $("#cam-state");
  if (!c) {
    pill.className = "pill bad";
    pill.textContent = lastAnswer ? "not a camera of this worker" : "loading";
    return;
  }
  const st = stateOf(c);
  pill.className = "pill " + st.kind;
  pill.textContent = st.label;
  pill.dataset.state = c.health.state;

  const rows = [
    ["State", st.label + ", since " + ago(c.health.since) + " (" + clock(c.health.since) + ")", st.kind === "bad"],
  ];
  if (c.health.reason) rows.push(["Why", c.health.reason, st.kind === "bad"]);
  rows.push(
    ["Pictures in", fps(c.activity.fps_in)],
    ["Pictures analysed", fps(c.activity.fps_analysed)],
    ["Delay of the analysis", lag(c)],
  );
  if (c.signal_phase) rows.push(["Signal", PHASES[c.signal_phase] || c.signal_phase]);
  rows.push(
    ["Violations this run", String(c.violations)],
    ["Waiting for delivery", c.delivery.pending + (c.delivery.pending ? " (in the outbox on this box, sent by itself)" : "")],
    ["Delivered this run", String(c.delivery.delivered)],
    ["Disk for evidence", c.disk && c.disk.state !== "ok" ? c.disk.state + ": " + (c.disk.reason || "") : "fine", c.disk && c.disk.state !== "ok"],
    ["Reconnections", String(Math.max(0, (c.health.connects || 0) - 1))],
    ["Damaged pictures", String((c.decode_errors || 0) + (c.concealed_frames || 0))],
  );
  const tbody = $("#facts tbody");
  tbody.textContent = "";
  for (const [label, value, bad] of rows) {
    const tr = el("tr");
    tr.dataset.fact = label;
    tr.append(el("th", "", label), el("td", bad ? "bad" : "", value));
    tbody.append(tr);
  }

  const note = $("#preview-note");
  note.hidden = st.kind === "ok";
  note.textContent = st.kind === "ok" ? "" : st.label + ": the picture is the last one analysed" +
    (hasTime(c.activity.last_analysed) ? ", " + ago(c.activity.last_analysed) : "") + ".";

  renderViolations(c);
}

function renderViolations(c) {
  const list = c.recent_violations || [];
  const minio = c.delivery.store === "minio";
  // Times in words change every second: redraw when they do too.
  const key = JSON.stringify(list.map((v) => [v.event_id, !!v.snapshot, ago(v.time)]));
  $("#no-violations").hidden = list.length > 0;
  const tn = $("#thumb-note");
  tn.hidden = !minio;
  tn.textContent = minio ? "Snapshots are kept in the MinIO evidence store, not on this box: find them there by event id." : "";
  if (key === violationsKey) return;
  violationsKey = key;
  const ol = $("#violations");
  ol.textContent = "";
  for (const v of list) {
    const li = el("li");
    li.dataset.event = v.event_id;
    const thumb = el("div", "thumb");
    if (v.snapshot) {
      const img = el("img");
      img.src = v.snapshot;
      img.alt = "Snapshot of the violation";
      const a = el("a");
      a.href = v.snapshot;
      a.target = "_blank";
      a.append(img);
      thumb.append(a);
    } else {
      thumb.textContent = minio ? "snapshot in MinIO" : "snapshot not delivered yet";
    }
    const text = el("div");
    const detail = [];
    if (v.vehicle_class) detail.push(v.vehicle_class);
    detail.push("vehicle #" + v.track_id);
    if (v.line) detail.push("line " + v.line);
    if (v.zone) detail.push("zone " + v.zone);
    if (v.lane) detail.push("lane " + v.lane);
    if (v.speed_kmh) detail.push(v.speed_kmh.toFixed(0) + " km/h");
    text.append(el("div", "what", VIOLATIONS[v.type] || v.type),
      el("div", "when", ago(v.time) + " (" + clock(v.time) + ")"),
      el("div", "detail", detail.join(", ")),
      el("div", "detail", "event " + v.event_id));
    li.append(thumb, text);
    ol.append(li);
  }
}

// The live picture: the next one is asked for once the last has come (or
// failed), so a slow link never piles requests up.
function schedulePreview(delay) {
  clearTimeout(previewTimer);
  previewTimer = setTimeout(loadPreview, delay);
}

function loadPreview() {
  const id = route();
  if (id === null || document.hidden) {
    if (id !== null) schedulePreview(PREVIEW_MS);
    return;
  }
  const img = new Image();
  img.onload = () => {
    if (route() === id) {
      // The loaded picture takes the old one's place: setting the old
      // one's src would fetch it again (it is never cached).
      const old = $("#preview");
      img.id = "preview";
      img.alt = old.alt;
      img.dataset.loaded = String(Date.now());
      old.replaceWith(img);
    }
    schedulePreview(PREVIEW_MS);
  };
  img.onerror = () => {
    const note = $("#preview-note");
    if (route() === id && !$("#preview").getAttribute("src")) {
      note.hidden = false;
      note.textContent = "No picture yet: nothing has been analysed from this camera.";
    }
    schedulePreview(PREVIEW_MS * 2);
  };
  img.src = "/cameras/" + encodeURIComponent(id) + "/preview.jpg?t=" + Date.now();
}

window.addEventListener("hashchange", () => {
  if (route() === null) {
    shown = null;
    clearTimeout(previewTimer);
  }
  render();
});

poll();
