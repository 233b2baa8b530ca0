// /pad/{windowCode}: the evaluator pad. Paired once by hall staff; then every case completed
// at its window (heard on windowEvents, and read from padQueue on start, on every
// (re)connect and after every rating) waits in one queue, oldest first. The screen offers
// the first; a case completing meanwhile only joins the queue (the count shows), so a form
// being filled in is never replaced. The form being filled in is kept as a draft in
// sessionStorage, so a reload brings back the same case with the same choices.
import { gql } from "./api.js";
import { loadForm, outcomeLines, renderRatingForm } from "./rating.js";
import { focusHeading, h, largeTextToggle, statusLine } from "./ui.js";
import { subscribe } from "./ws.js";
import { showPairing as pairingScreen } from "./pad-pairing.js";

const EVENTS = `subscription Events($code: String!) {
  windowEvents(windowCode: $code) { windowCode caseNo matterName staffName completedAt }
}`;
const QUEUE = `query PadQueue { padQueue { caseNo matterName staffName completedAt rateBy } }`;
const WINDOW = `query Window($code: String!) {
  windowInfo(code: $code) { name department { name } }
}`;
const PRUNE_EVERY_MS = 15000;
const SKIPPED_KEPT = 50;
const windowCode = decodeURIComponent(location.pathname.split("/")[2] || "");
const storeKey = `hcp.pad.${windowCode}`;
const draftKey = `hcp.pad.draft.${windowCode}`;
const skippedKey = `hcp.pad.skipped.${windowCode}`;
// How long the pad waits, in seconds, set per pad in its address (?idle=120&thanks=6): on a
// form nobody touches before offering the next case, and on the thanks screen.
const secondsFromUrl = (name, fallback) => {
  const seconds = Number(new URLSearchParams(location.search).get(name));
  return (Number.isFinite(seconds) && seconds >= 2 && seconds <= 600 ? seconds : fallback) * 1000;
};
const idleAfterMs = secondsFromUrl("idle", 90);
const thanksMs = secondsFromUrl("thanks", 4);

const screen = document.getElementById("screen");
const connection = document.getElementById("connection");
const countLine = document.getElementById("queue-count");
let windowName = "";
let idleTimer = null;
let listener = null;

// The queue: cases waiting to be rated here, oldest first, the one on screen included.
// `stamp` orders arrivals, so a padQueue answer only drops what it could have known of.
let queue = [];
let arrivals = 0;
let current = null; // the case number on screen, while a case is offered
let view = "idle"; // "idle" | "case" | "thanks" | "pairing"
let refreshing = null;
let refreshAgain = false;

const padAuth = () => `Pad ${localStorage.getItem(storeKey)}`;

function readJson(key, fallback) {
  try {
    const value = JSON.parse(sessionStorage.getItem(key) || "null");
    return value === null ? fallback : value;
  } catch {
    return fallback;
  }
}

function writeJson(key, value) {
  try {
    sessionStorage.setItem(key, JSON.stringify(value));
  } catch {
    // Storage full or off: the pad still works, a reload just forgets.
  }
}

// Cases rated here or walked away from: never offered again by this pad.
const skipped = new Set(readJson(skippedKey, []));

function skip(caseNo) {
  skipped.add(caseNo);
  writeJson(skippedKey, [...skipped].slice(-SKIPPED_KEPT));
  queue = queue.filter((item) => item.caseNo !== caseNo);
}

const byCompletion = (a, b) =>
  Date.parse(a.completedAt) - Date.parse(b.completedAt) || (a.caseNo < b.caseNo ? -1 : 1);

const stillOpen = (item) => !item.rateBy || Date.parse(item.rateBy) > Date.now();

function merge(item) {
  if (skipped.has(item.caseNo)) {
    return;
  }
  const known = queue.find((entry) => entry.caseNo === item.caseNo);
  if (known) {
    Object.assign(known, item, { rateBy: item.rateBy || known.rateBy, stamp: known.stamp });
  } else {
    arrivals += 1;
    queue.push({ ...item, stamp: arrivals });
  }
  queue.sort(byCompletion);
}

/** Cases waiting behind the one on screen. */
const waiting = () => queue.filter((item) => item.caseNo !== current).length;

function showCount() {
  const count = view === "case" || view === "thanks" ? waiting() : 0;
  const text = count ? `还有${count}件待评价` : "";
  if (countLine.textContent !== text) {
    countLine.textContent = text;
  }
}

/** Drop the waiting cases the pad may no longer rate, then offer one if the pad is idle. */
function settle() {
  queue = queue.filter((item) => item.caseNo === current || stillOpen(item));
  showCount();
  if (view === "idle" && queue.length) {
    showNext();
  }
}

function showNext() {
  clearTimeout(idleTimer);
  current = null;
  queue = queue.filter(stillOpen);
  if (queue.length) {
    showCase(queue[0], null);
  } else {
    showIdle();
  }
}

async function refreshQueue() {
  if (refreshing) {
    refreshAgain = true;
    return;
  }
  const knownUpTo = arrivals;
  refreshing = gql(QUEUE, {}, { authorization: padAuth(), withDevice: false });
  try {
    const { padQueue: listed } = await refreshing;
    const open = new Set(listed.map((item) => item.caseNo));
    // What the server no longer lists was rated elsewhere or is too old, unless it arrived
    // after the question was asked; the case on screen stays until the citizen is done.
    queue = queue.filter(
      (item) => open.has(item.caseNo) || item.stamp > knownUpTo || item.caseNo === current,
    );
    listed.forEach(merge);
    settle();
  } catch (error) {
    const refused = error && (error.code === "UNAUTHENTICATED" || error.code === "FORBIDDEN");
    if (refused && view !== "pairing") {
      onRefused(error.code);
    }
    // Offline: the next (re)connect asks again.
  } finally {
    refreshing = null;
    if (refreshAgain) {
      refreshAgain = false;
      refreshQueue();
    }
  }
}

function onEvent(data) {
  const event = data.windowEvents;
  merge({
    caseNo: event.caseNo,
    matterName: event.matterName,
    staffName: event.staffName,
    completedAt: event.completedAt,
    rateBy: null,
  });
  settle();
  refreshQueue(); // learns the case's rateBy, and anything else missed
}

function takePairingFromUrl() {
  const match = /(?:^#|&)pair=([^&]+)/.exec(location.hash);
  if (match) {
    localStorage.setItem(storeKey, decodeURIComponent(match[1]));
    history.replaceState(null, "", location.pathname + location.search);
  }
}

function showPairing(problem) {
  view = "pairing";
  clearTimeout(idleTimer);
  showCount();
  connection.textContent = "未配对";
  connection.className = "connection";
  pairingScreen(screen, windowCode, {
    problem,
    onPaired: (token) => {
      localStorage.setItem(storeKey, token);
      start();
    },
  });
}

function showIdle() {
  clearTimeout(idleTimer);
  view = "idle";
  current = null;
  showCount();
  screen.replaceChildren(
    h(
      "div",
      { className: "idle card", id: "idle" },
      h("p", { className: "welcome", text: "欢迎评价" }),
      h("p", { text: windowName ? `${windowName}` : `窗口 ${windowCode}` }),
      h("p", { className: "hint", text: "办结后，本屏将显示您刚办理的事项，请对本次服务进行评价。" }),
    ),
  );
}

/** The citizen walked away from the form: offer the next case (or go idle). */
function walkedAway() {
  if (view === "case" && current) {
    skip(current);
    clearDraft();
  }
  showNext();
}

function armIdleTimer() {
  clearTimeout(idleTimer);
  idleTimer = setTimeout(walkedAway, idleAfterMs);
}

// The draft: the case on screen and what the citizen chose so far, kept per window.
function clearDraft() {
  try {
    sessionStorage.removeItem(draftKey);
  } catch {
    // Nothing kept.
  }
}

function chosen(form) {
  const level = [...form.querySelectorAll('input[type="radio"]')].find(
    (input) => input.name.startsWith("level-") && input.checked,
  );
  const tags = [...form.querySelectorAll('input[name="tag"]:checked')].map((i) => i.value);
  const comment = form.querySelector('textarea[name="comment"]');
  return { level: level ? level.value : null, tags, comment: comment ? comment.value : "" };
}

function saveDraft(item, form) {
  const { stamp, ...kept } = item;
  writeJson(draftKey, { item: kept, ...(form ? chosen(form) : {}) });
}

const nextFrame = () => new Promise((resolve) => requestAnimationFrame(() => resolve()));

/** Put the draft's choices back the way a person would: check, then tell the form. */
async function restore(form, draft) {
  const changed = (input, type) => input.dispatchEvent(new Event(type, { bubbles: true }));
  const level = [...form.querySelectorAll('input[type="radio"]')].find(
    (input) => input.name.startsWith("level-") && input.value === String(draft.level),
  );
  if (level) {
    level.checked = true;
    changed(level, "change");
  }
  for (const code of draft.tags || []) {
    let box = null;
    // The tags appear once the form has seen the level change; allow it a few frames.
    for (let frame = 0; frame < 10 && !box; frame += 1) {
      box = [...form.querySelectorAll('input[name="tag"]')].find((i) => i.value === code);
      if (!box) {
        await nextFrame();
      }
    }
    if (box && !box.checked) {
      box.checked = true;
      changed(box, "change");
    }
  }
  const comment = form.querySelector('textarea[name="comment"]');
  if (comment && draft.comment) {
    comment.value = draft.comment;
    changed(comment, "input");
  }
}

async function showCase(item, draft) {
  view = "case";
  current = item.caseNo;
  armIdleTimer();
  showCount();
  const status = statusLine();
  const slot = h("div");
  screen.replaceChildren(
    h(
      "div",
      { className: "card", id: "case" },
      h("h2", { text: "请对本次服务进行评价" }),
      h(
        "dl",
        { className: "facts" },
        h("dt", { text: "办理事项" }),
        h("dd", { id: "case-matter", text: item.matterName }),
        h("dt", { text: "办件编号" }),
        h("dd", { id: "case-no", text: item.caseNo }),
        h("dt", { text: "工作人员" }),
        h("dd", { id: "case-staff", text: item.staffName || "—" }),
      ),
    ),
    status.node,
    slot,
  );
  focusHeading(screen);
  if (!draft) {
    saveDraft(item, null);
  }
  status.busy("正在读取评价表…");
  let form;
  try {
    form = await loadForm(item.caseNo, "PAD", padAuth(), status.slow);
  } catch (error) {
    if (current !== item.caseNo) {
      return;
    }
    if (error && error.code === "NOT_FOUND") {
      // Rated elsewhere or no longer the pad's to rate: on to the next.
      skip(item.caseNo);
      clearDraft();
      showNext();
      return;
    }
    status.fail(error, () => showCase(item, readJson(draftKey, null)));
    return;
  }
  if (current !== item.caseNo || view !== "case") {
    return;
  }
  status.clear();
  const rendered = renderRatingForm(slot, form, {
    channel: "PAD",
    authorization: padAuth(),
    onAccepted: (level, note, outcome) => accepted(item, level, note, outcome),
  });
  let restoring = false;
  const touched = () => {
    armIdleTimer();
    if (!restoring) {
      saveDraft(item, rendered);
    }
  };
  rendered.addEventListener("input", touched);
  rendered.addEventListener("change", touched);
  if (draft && draft.item && draft.item.caseNo === item.caseNo) {
    restoring = true;
    await restore(rendered, draft);
    restoring = false;
    saveDraft(item, rendered);
  }
}

function accepted(item, level, note, outcome) {
  skip(item.caseNo);
  clearDraft();
  clearTimeout(idleTimer);
  view = "thanks";
  current = null;
  showCount();
  const next = waiting()
    ? h("button", { type: "button", className: "primary", onClick: showNext }, "评价下一件")
    : null;
  screen.replaceChildren(
    h(
      "div",
      { className: "thanks-screen", id: "thanks" },
      h("p", { className: "thanks notice ok", role: "status", text: note || `感谢您的评价！（${level.label}）` }),
      outcomeLines(outcome).map((line) => h("p", { className: "outcome", text: line })),
      next,
    ),
  );
  idleTimer = setTimeout(showNext, thanksMs);
  refreshQueue();
}

const STATES = {
  connecting: "正在连接…",
  connected: "已连接",
  reconnecting: "网络中断，正在重新连接…",
};

function onStatus(state) {
  connection.textContent = STATES[state];
  connection.className = `connection ${state}`;
  if (state === "connected") {
    refreshQueue(); // whatever completed while the pad was away
  }
}

function onRefused(code) {
  localStorage.removeItem(storeKey);
  if (listener) {
    listener.stop();
  }
  listener = null;
  showPairing(
    code === "FORBIDDEN"
      ? "本评价器的配对属于其他窗口，请工作人员为本窗口生成配对码重新配对。"
      : "本评价器的配对已被撤销或已失效，请工作人员生成配对码重新配对。",
  );
}

async function loadWindowName() {
  try {
    const { windowInfo: info } = await gql(WINDOW, { code: windowCode }, { withDevice: false });
    windowName = `${info.department.name} · ${info.name}`;
    document.getElementById("pad-title").textContent = `评价器 · ${info.name}`;
  } catch {
    windowName = "";
  }
}

function start() {
  const draft = readJson(draftKey, null);
  if (draft && draft.item && stillOpen(draft.item) && !skipped.has(draft.item.caseNo)) {
    merge(draft.item);
    showCase(queue.find((item) => item.caseNo === draft.item.caseNo), draft);
  } else {
    clearDraft();
    showIdle();
  }
  if (listener) {
    listener.stop();
  }
  listener = subscribe({
    connectionParams: { Authorization: padAuth() },
    query: EVENTS,
    variables: { code: windowCode },
    onNext: onEvent,
    onStatus,
    onRefused,
  });
  refreshQueue();
}

async function main() {
  connection.before(largeTextToggle());
  takePairingFromUrl();
  await loadWindowName();
  setInterval(settle, PRUNE_EVERY_MS);
  if (!localStorage.getItem(storeKey)) {
    showPairing();
    return;
  }
  start();
}

main();
