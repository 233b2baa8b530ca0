// The pad's pairing screen: how a pad gets its device credential for one window.
import { h } from "./ui.js";

/**
 * Render the pairing screen into `screen` for `windowCode`; `problem` (optional) is a plain
 * sentence saying why the pad is not paired any more. Calls `onPaired(token)` with the
 * device credential once the pad is paired.
 */
export function showPairing(screen, windowCode, { problem, onPaired }) {
  const input = h("input", { type: "text", id: "pair-token", autocomplete: "off", required: true });
  const form = h(
    "form",
    { className: "card", novalidate: true },
    h("h2", { text: "评价器配对" }),
    h("p", { text: `本评价器将绑定到窗口 ${windowCode}。请大厅工作人员输入为本窗口生成的配对令牌。` }),
    problem ? h("p", { className: "notice error", role: "alert", text: problem }) : null,
    h("label", { for: "pair-token", text: "配对令牌" }),
    input,
    h("p", {}),
    h("button", { type: "submit", className: "primary wide" }, "配对"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const token = input.value.trim();
    if (token) {
      onPaired(token);
    }
  });
  screen.replaceChildren(form);
  input.focus();
}
