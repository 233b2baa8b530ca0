// DOM helpers. Every string from the API or a person goes in as text (textContent, text
// nodes, attribute values), never as HTML.
import { h } from "./dom.js";
import { messageFor } from "./messages.js";

export { h };

/** "2026-11-20T19:55:00+08:00" (business time, as the API sends it) -> "2026年11月20日 19:55". */
export function formatTime(iso) {
  if (typeof iso !== "string" || iso.length < 16) {
    return "";
  }
  const [year, month, day] = iso.slice(0, 10).split("-");
  return `${year}年${Number(month)}月${Number(day)}日 ${iso.slice(11, 16)}`;
}

/** A value that wraps as a whole (a case number, a time), never broken mid-word (.token). */
export function token(text) {
  return h("span", { className: "token", text });
}

const LARGE_KEY = "hcp.largeText";

/** The 适老化 large-text switch: remembered on this device, announced by aria-pressed. */
export function largeTextToggle() {
  const root = document.documentElement;
  const apply = (on) => {
    root.classList.toggle("large-text", on);
    button.setAttribute("aria-pressed", on ? "true" : "false");
    button.textContent = on ? "标准字体" : "大字模式";
  };
  const button = h("button", {
    type: "button",
    id: "large-text",
    onClick: () => {
      const on = !root.classList.contains("large-text");
      localStorage.setItem(LARGE_KEY, on ? "1" : "0");
      apply(on);
    },
  });
  apply(localStorage.getItem(LARGE_KEY) === "1");
  return button;
}

/**
 * A live status line: progress while loading (and a note when the network is slow), the
 * plain-Chinese message and a retry button on failure. No blocking overlay.
 */
export function statusLine() {
  const node = h("div", { className: "notice", role: "status", "aria-live": "polite" });
  return {
    node,
    busy(text) {
      node.className = "notice";
      node.replaceChildren(text);
    },
    slow() {
      node.className = "notice slow";
      node.replaceChildren("网络较慢，仍在努力加载，请稍候…");
    },
    fail(error, retry) {
      node.className = "notice error";
      const text = messageFor(error && error.code, error && error.apiMessage);
      node.replaceChildren(h("p", { text }));
      if (retry) {
        node.append(h("button", { type: "button", className: "primary", onClick: retry }, "重试"));
      }
    },
    clear() {
      node.className = "notice";
      node.replaceChildren();
    },
  };
}

/** Move focus to a freshly shown view so keyboard and screen-reader users land on it. */
export function focusHeading(container) {
  const heading = container.querySelector("h2, h1");
  if (heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus();
  }
}
