// /pad/{windowCode}: the evaluator pad. Paired once by hall staff (the token from pairPad);
// then it listens on windowEvents and offers each case completed at its window for rating,
// returning to idle after a rating or a timeout.
import { gql } from "./api.js";
import { loadForm, renderRatingForm } from "./rating.js";
import { focusHeading, h, statusLine } from "./ui.js";
import { subscribe } from "./ws.js";
import { showPairing as pairingScreen } from "./pad-pairing.js";

const EVENTS = `subscription Events($code: String!) {
  windowEvents(windowCode: $code) { windowCode caseNo matterName staffName completedAt }
}`;
const WINDOW = `query Window($code: String!) {
  windowInfo(code: $code) { name department { name } }
}`;
const THANKS_MS = 4000;
const windowCode = decodeURIComponent(location.pathname.split("/")[2] || "");
const storeKey = `hcp.pad.${windowCode}`;
const idleAfterMs = (() => {
  const seconds = Number(new URLSearchParams(location.search).get("idle"));
  return Number.isFinite(seconds) && seconds >= 5 && seconds <= 600 ? seconds * 1000 : 90000;
})();

const screen = document.getElementById("screen");
const connection = document.getElementById("connection");
let windowName = "";
let idleTimer = null;
let listener = null;

const padAuth = () => `Pad ${localStorage.getItem(storeKey)}`;

function takePairingFromUrl() {
  const match = /(?:^#|&)pair=([^&]+)/.exec(location.hash);
  if (match) {
    localStorage.setItem(storeKey, decodeURIComponent(match[1]));
    history.replaceState(null, "", location.pathname + location.search);
  }
}

function showPairing(problem) {
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

function armIdleTimer() {
  clearTimeout(idleTimer);
  idleTimer = setTimeout(showIdle, idleAfterMs);
}

async function showCase(event) {
  armIdleTimer();
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
        h("dd", { id: "case-matter", text: event.matterName }),
        h("dt", { text: "办件编号" }),
        h("dd", { id: "case-no", text: event.caseNo }),
        h("dt", { text: "工作人员" }),
        h("dd", { id: "case-staff", text: event.staffName || "—" }),
      ),
    ),
    status.node,
    slot,
  );
  focusHeading(screen);
  status.busy("正在读取评价表…");
  try {
    const form = await loadForm(event.caseNo, "PAD", padAuth(), status.slow);
    status.clear();
    const rendered = renderRatingForm(slot, form, {
      channel: "PAD",
      authorization: padAuth(),
      onAccepted: showThanks,
    });
    rendered.addEventListener("input", armIdleTimer);
  } catch (error) {
    status.fail(error, () => showCase(event));
  }
}

function showThanks(level, note) {
  clearTimeout(idleTimer);
  screen.replaceChildren(
    h("p", { className: "thanks notice ok", role: "status", text: note || `感谢您的评价！（${level.label}）` }),
  );
  idleTimer = setTimeout(showIdle, THANKS_MS);
}

const STATES = {
  connecting: "正在连接…",
  connected: "已连接",
  reconnecting: "网络中断，正在重新连接…",
};

function onStatus(state) {
  connection.textContent = STATES[state];
  connection.className = `connection ${state}`;
}

function onRefused(code) {
  localStorage.removeItem(storeKey);
  listener = null;
  showPairing(
    code === "FORBIDDEN"
      ? "该配对令牌属于其他窗口，请工作人员为本窗口重新配对。"
      : "配对已失效或令牌有误，请工作人员重新配对。",
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
  showIdle();
  if (listener) {
    listener.stop();
  }
  listener = subscribe({
    connectionParams: { Authorization: padAuth() },
    query: EVENTS,
    variables: { code: windowCode },
    onNext: (data) => showCase(data.windowEvents),
    onStatus,
    onRefused,
  });
}

async function main() {
  takePairingFromUrl();
  await loadWindowName();
  if (!localStorage.getItem(storeKey)) {
    showPairing();
    return;
  }
  start();
}

main();
