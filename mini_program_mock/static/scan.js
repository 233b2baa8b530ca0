// /w/{windowCode}: what a citizen sees after scanning a window's QR code. Signed in, the page
// lists the citizen's cases completed here and, while none waits for a rating, waits for the
// one being handled now: the API tells it when a case of this citizen completes at this
// window (myCaseCompleted); when the connection has trouble, it re-reads myCases instead.
import { gql } from "./api.js";
import { messageFor } from "./messages.js";
import { loadForm, outcomeLines, renderRatingForm } from "./rating.js";
import { bearer, signIn, signInButton, signOut, takeTokenFromUrl } from "./session.js";
import { focusHeading, formatTime, h, largeTextToggle, statusLine, token } from "./ui.js";
import { subscribe } from "./ws.js";

const WINDOW = `query Window($code: String!) {
  windowInfo(code: $code) { code name hallName department { name } staffOnDuty }
}`;
const MY_CASES = `query Mine {
  myCases(first: 50) {
    nodes {
      caseNo status completedAt ratingStatus canRate
      matter { name } window { code }
    }
  }
}`;
const ARRIVALS = `subscription Arrivals($code: String!) {
  myCaseCompleted(windowCode: $code) {
    caseNo completedAt ratingStatus ratingDeadline matter { name } windowCode
  }
}`;
// While the live connection is down, myCases is read this often instead.
const FALLBACK_READ_MS = 20000;
const WAITING = "正在等待窗口办结，办结后将自动显示";
const CONNECTION = {
  connecting: "实时连接：正在连接…",
  connected: "实时连接：已连接",
  reconnecting: "实时连接：已中断，正在重新连接；期间每隔20秒自动查询一次",
};

const windowCode = decodeURIComponent(location.pathname.split("/")[2] || "");
const content = document.getElementById("content");
const windowCard = document.getElementById("window");
const live = document.getElementById("live");
const connection = h("span", { id: "connection", className: "meta connection" });

// caseNo -> the case as myCases shows it; filled by myCases and by the subscription.
const known = new Map();
const fresh = new Set(); // completed while the page was open
let view = "list";
let listened = false; // the subscription has been connected once
let loaded = false; // myCases has been read once: what turns up after that has just arrived
let fallbackTimer = null;

async function showWindow() {
  const status = statusLine();
  windowCard.append(status.node);
  status.busy("正在读取窗口信息…");
  try {
    const { windowInfo: info } = await gql(WINDOW, { code: windowCode }, { onSlow: status.slow });
    status.clear();
    document.title = `${info.name} - 窗口服务评价`;
    windowCard.append(
      h(
        "dl",
        { className: "facts" },
        info.hallName ? [h("dt", { text: "服务大厅" }), h("dd", { text: info.hallName })] : null,
        h("dt", { text: "窗口" }),
        h("dd", { id: "window-name", text: info.name }),
        h("dt", { text: "部门" }),
        h("dd", { id: "window-department", text: info.department.name }),
        h("dt", { text: "工作人员" }),
        h("dd", { id: "window-staff", text: info.staffOnDuty.join("、") || "—" }),
      ),
    );
    return true;
  } catch (error) {
    status.fail(error, error.code === "NOT_FOUND" ? null : () => location.reload());
    if (error.code === "NOT_FOUND") {
      status.node.replaceChildren(h("p", { text: "未找到该窗口，请核对二维码后重新扫描。" }));
    }
    return false;
  }
}

function showSignIn() {
  content.replaceChildren(
    h(
      "div",
      { className: "card" },
      h("h2", { text: "评价前请先登录" }),
      h("p", { text: "评价实行实名制。登录后可以看到您近期在本窗口办理的事项，选择一项进行评价。" }),
      signInButton(),
    ),
  );
}

// Whether a rating would be accepted is the API's answer (canRate); a case that has just
// arrived over the subscription was completed a moment ago and is read again with myCases.
function rateableHere(c) {
  return Boolean(c.window && c.window.code === windowCode && c.completedAt) && c.canRate !== false;
}

function recentHere() {
  return [...known.values()]
    .filter(rateableHere)
    .sort((a, b) => Date.parse(b.completedAt) - Date.parse(a.completedAt));
}

/** Keeps what myCases or the subscription says; returns the cases here not known before. */
function learn(nodes) {
  const arrived = [];
  for (const node of nodes) {
    const before = known.get(node.caseNo);
    if (rateableHere(node) && !(before && rateableHere(before))) {
      arrived.push(node);
    }
    known.set(node.caseNo, node);
  }
  return arrived;
}

function announce(text) {
  live.textContent = text;
}


function caseButton(c) {
  return h(
    "button",
    { type: "button", className: "case", onClick: () => showForm(c) },
    h("strong", { text: c.matter.name }),
    h("span", { className: "meta" }, "办件编号：", token(c.caseNo)),
    h("span", { className: "meta" }, "办结时间：", token(formatTime(c.completedAt))),
    c.ratingStatus === "UNRATED"
      ? h("span", { className: "badge to-rate", text: "待评价" })
      : h("span", { className: "badge rated", text: "已评价" }),
    fresh.has(c.caseNo) ? h("span", { className: "badge fresh", text: "刚刚办结" }) : null,
  );
}

function waitingCard() {
  return h(
    "div",
    { className: "card waiting", id: "waiting" },
    h("h2", { text: "等待办结" }),
    h("p", { text: "窗口工作人员办结您的事项后，它会自动出现在这里，请稍候，无需刷新页面。" }),
    h("p", {}, connection),
    h("button", { type: "button", onClick: () => readCases() }, "手动刷新"),
  );
}

/** The list of this window's cases, with the waiting card while none waits for a rating. */
function renderList() {
  view = "list";
  const cases = recentHere();
  const waiting = !cases.some((c) => c.ratingStatus === "UNRATED");
  const parts = [waiting ? waitingCard() : null];
  if (cases.length) {
    parts.push(
      h("h2", { text: "您在本窗口办理的事项" }),
      h("p", { className: "hint", text: "请选择要评价的事项：" }),
      h("ul", { className: "plain", id: "cases" }, cases.map((c) => h("li", {}, caseButton(c)))),
    );
  }
  parts.push(h("a", { className: "button", href: "/m/" }, "查看我的全部办件"));
  content.replaceChildren(...parts.filter(Boolean));
  if (waiting && live.textContent !== WAITING) {
    announce(WAITING);
  }
}

function arrived(cases) {
  if (!cases.length) {
    return;
  }
  for (const c of cases) {
    fresh.add(c.caseNo);
  }
  const names = cases.map((c) => `“${c.matter.name}”`).join("、");
  if (view === "list") {
    renderList();
    announce(`您的事项${names}已办结，请在下方选择评价。`);
  } else {
    announce(`您的事项${names}已办结，评价完成后可在本窗口事项列表中选择评价。`);
  }
}

/** myCases: the first read, the manual refresh and the fallback while the live line is down. */
async function readCases({ quiet = false } = {}) {
  const status = statusLine();
  if (!quiet) {
    content.replaceChildren(status.node);
    status.busy("正在读取您的办件…");
  }
  let nodes;
  try {
    ({ myCases: { nodes } } = await gql(MY_CASES, {}, { authorization: bearer(), onSlow: status.slow }));
  } catch (error) {
    if (quiet) {
      return; // the next fallback read or the reconnection tries again
    }
    content.replaceChildren(status.node);
    status.fail(error, error.code === "UNAUTHENTICATED" ? signIn : () => readCases());
    return;
  }
  const news = learn(nodes);
  if (loaded && news.length) {
    arrived(news);
  } else if (!quiet && view === "list") {
    renderList();
  }
  loaded = true;
}

function startFallback() {
  if (!fallbackTimer) {
    fallbackTimer = setInterval(() => readCases({ quiet: true }), FALLBACK_READ_MS);
  }
}

function stopFallback() {
  clearInterval(fallbackTimer);
  fallbackTimer = null;
}

function onStatus(state) {
  connection.textContent = CONNECTION[state];
  connection.className = `meta connection ${state}`;
  if (state === "reconnecting") {
    startFallback();
  } else if (state === "connected") {
    stopFallback();
    if (listened) {
      readCases({ quiet: true }); // what completed while the line was down
    }
    listened = true;
  }
}

function onRefused(code) {
  stopFallback();
  connection.textContent = "实时连接：已停止";
  connection.className = "meta connection reconnecting";
  if (view === "list") {
    content.replaceChildren(
      h(
        "div",
        { className: "notice error", role: "alert" },
        h("p", { text: messageFor(code) }),
        h("button", { type: "button", className: "primary", onClick: signIn }, "重新登录"),
      ),
    );
  }
}

function listen() {
  subscribe({
    connectionParams: { Authorization: bearer() },
    query: ARRIVALS,
    variables: { code: windowCode },
    onNext: ({ myCaseCompleted: c }) => {
      const node = { ...c, window: { code: c.windowCode } };
      arrived(learn([node]));
    },
    onStatus,
    onRefused,
  });
}

async function showForm(item) {
  view = "form";
  announce("");
  const status = statusLine();
  const holder = h("div");
  content.replaceChildren(
    h("h2", { text: `评价：${item.matter.name}` }),
    h("p", { className: "meta" }, "办件编号：", token(item.caseNo)),
    status.node,
    holder,
    h("button", { type: "button", className: "back", onClick: backToList }, "返回事项列表"),
  );
  focusHeading(content);
  status.busy("正在读取评价表…");
  try {
    const form = await loadForm(item.caseNo, "QR", bearer(), status.slow);
    status.clear();
    renderRatingForm(holder, form, {
      channel: "QR",
      authorization: bearer(),
      onAccepted: (level, note, outcome) => showThanks(item, level, note, outcome),
    });
  } catch (error) {
    status.fail(error, () => showForm(item));
  }
}

function showThanks(item, level, note, outcome) {
  view = "thanks";
  fresh.delete(item.caseNo);
  known.set(item.caseNo, { ...item, ratingStatus: "RATED" });
  content.replaceChildren(
    h(
      "div",
      { className: "card" },
      h("h2", { text: note ? "评价已收到" : "评价成功" }),
      h("p", { className: "notice ok", role: "status", text: note || `感谢您的评价！您对“${item.matter.name}”的评价是：${level.label}。` }),
      outcomeLines(outcome).map((line) => h("p", { className: "outcome", text: line })),
      h("button", { type: "button", onClick: backToList }, "评价其他事项"),
      " ",
      h("a", { className: "button", href: "/m/" }, "我的办件"),
    ),
  );
  focusHeading(content);
}

async function backToList() {
  view = "list";
  announce("");
  await readCases();
  focusHeading(content);
}

async function main() {
  takeTokenFromUrl();
  const tools = document.getElementById("tools");
  tools.append(largeTextToggle());
  if (!(await showWindow())) {
    return;
  }
  if (!bearer()) {
    showSignIn();
    return;
  }
  tools.append(" ", h("button", { type: "button", onClick: signOut }, "退出"));
  // Listen first, then read: a case completing in between is not missed.
  listen();
  await readCases();
}

main();
