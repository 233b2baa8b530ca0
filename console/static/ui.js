// DOM helpers. Every string from the API or a person goes in as text (textContent, text
// nodes, attribute values), never as HTML.
import { h } from "/mp/dom.js";
import { messageFor } from "./messages.js";

// The mini-program's DOM builder, served at /mp/ by the same app.
export { h };

const BEIJING_OFFSET_MS = 8 * 60 * 60 * 1000; // China keeps no daylight saving time

/** An API moment in Beijing time, "2026-10-09 23:59", whatever the browser's zone. */
export function formatTime(iso) {
  const moment = Date.parse(iso);
  if (!Number.isFinite(moment)) {
    return "—";
  }
  const text = new Date(moment + BEIJING_OFFSET_MS).toISOString();
  return `${text.slice(0, 10)} ${text.slice(11, 16)}`;
}

/** Today in Beijing, "2026-10-31", whatever the browser's zone. */
export function todayInBeijing() {
  return new Date(Date.now() + BEIJING_OFFSET_MS).toISOString().slice(0, 10);
}

/** A live status line for loading and for what an action came to. */
export function statusLine() {
  const node = h("div", { className: "notice", role: "status", "aria-live": "polite" });
  return {
    node,
    busy(text) {
      node.className = "notice";
      node.replaceChildren(text);
    },
    done(text) {
      node.className = "notice good";
      node.replaceChildren(text);
    },
    fail(error, retry) {
      node.className = "notice error";
      node.replaceChildren(h("p", { text: messageFor(error) }));
      if (retry) {
        node.append(h("button", { type: "button", onClick: retry }, "重试"));
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
  const heading = container.querySelector("h2");
  if (heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus();
  }
}

/** A labelled field: the label, then the control, tied by id. */
export function field(label, control) {
  return h("div", { className: "field" }, h("label", { for: control.id, text: label }), control);
}

/** A group of radio buttons with a legend; `choices` are [value, label] pairs. */
export function radios(legend, name, choices) {
  return h(
    "fieldset",
    { className: "choices" },
    h("legend", { text: legend }),
    choices.map(([value, label], index) =>
      h(
        "label",
        { className: "choice" },
        h("input", { type: "radio", name, value, required: true, checked: index === 0 }),
        label,
      ),
    ),
  );
}

/**
 * A cursor-paged list under a "加载更多" button: `fetchPage(after)` resolves to a connection
 * ({ nodes, pageInfo }); each node becomes a row of `body` through `toRow`; `empty` shows
 * while the list has no rows. `load()` fetches the next page.
 */
export function pager({ status, body, empty, fetchPage, toRow }) {
  const more = h("button", { type: "button", className: "more", hidden: true }, "加载更多");
  let after = null;

  async function load() {
    status.busy("正在加载…");
    more.disabled = true;
    try {
      const page = await fetchPage(after);
      body.append(...page.nodes.map(toRow));
      after = page.pageInfo.endCursor;
      more.hidden = !page.pageInfo.hasNextPage;
      empty.hidden = body.childElementCount > 0;
      status.clear();
    } catch (error) {
      status.fail(error, load);
    } finally {
      more.disabled = false;
    }
  }

  more.addEventListener("click", load);
  return { more, load };
}
