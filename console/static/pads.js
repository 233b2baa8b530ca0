// 评价器配对 (/console/pads): for each window of the staff member's department, a six-digit
// pairing code with its QR code (createPadPairingCode) that a pad at the window takes, typed
// or scanned, and the window's pads (pads), each revocable at once (revokePad).
import { gql } from "./api.js";
import { messageFor } from "./messages.js";
import { focusHeading, formatTime, h, statusLine } from "./ui.js";

const WINDOWS = `query($department: String!, $after: String) {
  windows(filter: { departmentCode: $department }, first: 100, after: $after) {
    nodes { code name }
    pageInfo { hasNextPage endCursor }
  }
}`;
const CREATE = `mutation($w: String!) {
  createPadPairingCode(windowCode: $w) { windowCode code expiresAt pairUrl qrSvg }
}`;
const PADS = `query($w: String!) {
  pads(windowCode: $w) { id label pairedAt pairedBy lastSeenAt revokedAt }
}`;
const REVOKE = "mutation($id: ID!) { revokePad(id: $id) { id revokedAt } }";
const WATCH_MS = 4000; // how often the list is read again while a code waits for its pad

async function windowsOf(department) {
  const found = [];
  let after = null;
  do {
    const { windows } = await gql(WINDOWS, { department, after });
    found.push(...windows.nodes);
    after = windows.pageInfo.hasNextPage ? windows.pageInfo.endCursor : null;
  } while (after);
  return found;
}

/** The QR code's SVG (the API's markup) as a node: parsed as SVG, never as HTML, so no
 * script or handler in it could run, and checked to be an <svg> before it is shown. */
function qrImage(markup, caption) {
  const parsed = new DOMParser().parseFromString(markup, "image/svg+xml");
  const root = parsed.documentElement;
  if (root.namespaceURI !== "http://www.w3.org/2000/svg" || root.localName !== "svg") {
    return h("p", { className: "notice error", text: "二维码无法显示，请手动输入配对码" });
  }
  const svg = document.importNode(root, true);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", caption);
  return svg;
}

function remaining(expiresAt) {
  const seconds = Math.max(0, Math.ceil((Date.parse(expiresAt) - Date.now()) / 1000));
  return { seconds, text: `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}` };
}

/** The code, its countdown and its QR; `onEnd` once it expired or the panel left the page. */
function codePanel(made, onEnd) {
  const countdown = h("span", { className: "countdown" });
  const status = h("p", { className: "notice", role: "status" });
  const panel = h(
    "div",
    { className: "pairing-code", "data-window": made.windowCode },
    h("p", { className: "hint", text: "在评价器上输入配对码，或用评价器扫描二维码：" }),
    h("p", { className: "big-code", text: made.code }),
    h(
      "p",
      {},
      `有效期至 ${formatTime(made.expiresAt)}，剩余 `,
      countdown,
      "，只能使用一次。",
    ),
    h("figure", { className: "qr" }, qrImage(made.qrSvg, `窗口 ${made.windowCode} 的评价器配对二维码`)),
    status,
  );
  const tick = () => {
    const left = remaining(made.expiresAt);
    countdown.textContent = left.text;
    if (!panel.isConnected) {
      clearInterval(timer); // replaced by a new code, or the page was left
    } else if (left.seconds === 0) {
      clearInterval(timer);
      panel.classList.add("expired");
      status.className = "notice error";
      status.textContent = "配对码已过期，请重新生成";
      onEnd();
    }
  };
  const timer = setInterval(tick, 1000);
  countdown.textContent = remaining(made.expiresAt).text;
  return panel;
}

function padRow(pad, onRevoke) {
  const state = pad.revokedAt
    ? h("span", { className: "badge", text: `已撤销 ${formatTime(pad.revokedAt)}` })
    : h(
        "button",
        { type: "button", onClick: (event) => confirmRevoke(event.target, pad, onRevoke) },
        "撤销",
      );
  return h(
    "tr",
    { "data-pad-id": pad.id },
    h("td", { text: pad.label }),
    h("td", { text: formatTime(pad.pairedAt) }),
    h("td", { text: pad.pairedBy }),
    h("td", { text: pad.lastSeenAt ? formatTime(pad.lastSeenAt) : "尚未使用" }),
    h("td", { className: "pad-state" }, state),
  );
}

/** 撤销 asks once more in place: the pad stops at once and needs pairing again. */
function confirmRevoke(button, pad, onRevoke) {
  const cell = button.closest("td");
  const yes = h("button", { type: "button", className: "primary" }, "确认撤销");
  const no = h("button", { type: "button" }, "取消");
  const ask = h(
    "div",
    { className: "confirm", role: "group", "aria-label": `撤销${pad.label}` },
    h("p", { text: `撤销后“${pad.label}”立即停止工作，需重新配对。确定撤销？` }),
    yes,
    no,
  );
  no.addEventListener("click", () => {
    cell.replaceChildren(button);
    button.focus();
  });
  yes.addEventListener("click", () => {
    yes.disabled = true;
    no.disabled = true;
    onRevoke(pad);
  });
  cell.replaceChildren(ask);
  yes.focus();
}

function padTable(window, pads, onRevoke) {
  if (!pads.length) {
    return h("p", { className: "hint", text: "本窗口还没有配对的评价器。" });
  }
  const heads = ["名称", "配对时间", "配对人", "最近在线", "状态"];
  return h(
    "div",
    { className: "scroll" },
    h(
      "table",
      { className: "worklist pads" },
      h("caption", { className: "visually-hidden", text: `${window.name}的评价器` }),
      h("thead", {}, h("tr", {}, heads.map((head) => h("th", { scope: "col", text: head })))),
      h("tbody", {}, pads.map((pad) => padRow(pad, onRevoke))),
    ),
  );
}

function windowCard(window) {
  const status = statusLine();
  const slot = h("div", { className: "code-slot" });
  const list = h("div", { className: "pad-list" });
  const make = h("button", { type: "button", className: "primary" }, "生成配对码");
  let watcher = null;
  let known = 0;
  let until = 0;

  const stopWatching = () => {
    clearInterval(watcher);
    watcher = null;
  };

  /** Read the window's pads; the table is redrawn unless a 撤销 is being confirmed in it
   * (`force`: after that revocation). */
  async function refresh(force = true) {
    try {
      const { pads } = await gql(PADS, { w: window.code });
      if (force || !list.querySelector(".confirm")) {
        list.replaceChildren(padTable(window, pads, revoke));
      }
      return pads;
    } catch (error) {
      status.fail(error, refresh);
      return null;
    }
  }

  async function revoke(pad) {
    try {
      await gql(REVOKE, { id: pad.id });
      status.done(`已撤销“${pad.label}”，该评价器需重新配对`);
    } catch (error) {
      status.fail(error);
    }
    await refresh();
  }

  /** While a code waits: once a pad took it, the code goes; the list is read until the new
   * pad was seen online (it connects just after pairing), or the code's time is up. */
  async function watch() {
    const pads = await refresh(false);
    if (!list.isConnected || Date.now() > until) {
      stopWatching();
    } else if (pads && pads.length > known) {
      if (slot.firstChild) {
        slot.replaceChildren();
        status.done(`“${pads[0].label}”已配对`);
      }
      if (pads[0].lastSeenAt) {
        stopWatching();
      }
    }
  }

  make.addEventListener("click", async () => {
    make.disabled = true;
    status.busy("正在生成配对码…");
    try {
      const { createPadPairingCode: made } = await gql(CREATE, { w: window.code });
      status.clear();
      known = ((await refresh()) || []).length;
      until = Date.parse(made.expiresAt);
      stopWatching();
      slot.replaceChildren(codePanel(made, stopWatching));
      watcher = setInterval(watch, WATCH_MS);
      make.textContent = "重新生成配对码";
    } catch (error) {
      status.fail(error);
    } finally {
      make.disabled = false;
    }
  });
  refresh();
  return h(
    "section",
    { className: "card window-pads", "data-window": window.code },
    h("h3", { text: `${window.name}（${window.code}）` }),
    make,
    status.node,
    slot,
    list,
  );
}

export async function renderPads(main, viewer) {
  const status = statusLine();
  const cards = h("div", {});
  main.replaceChildren(
    h("h2", { text: "评价器配对" }),
    h("p", {
      text: "为本部门窗口的评价器生成配对码：在评价器上输入 6 位配对码，或用评价器扫描二维码，即完成配对。评价器丢失或更换时，请在下方撤销，撤销立即生效。",
    }),
    status.node,
    cards,
  );
  focusHeading(main);
  status.busy("正在读取本部门的窗口…");
  try {
    const windows = await windowsOf(viewer.departmentCode || "");
    status.clear();
    if (!windows.length) {
      status.busy("本部门没有窗口。");
      return;
    }
    cards.replaceChildren(...windows.map(windowCard));
  } catch (error) {
    status.fail(error, () => renderPads(main, viewer));
  }
}
