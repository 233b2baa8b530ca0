// The pad's pairing screen. Hall staff get a six-digit code for the window on the console
// (评价器配对); it is typed here, or arrives in this page's address (#code=…) when the tablet
// scans the code's QR. claimPadPairing trades it, once, for the pad's device credential.
import { gql } from "./api.js";
import { messageFor } from "./messages.js";
import { h, token } from "./ui.js";

const CLAIM = `mutation($w: String!, $c: String!) {
  claimPadPairing(windowCode: $w, code: $c) {
    __typename
    ... on PadPaired { token }
    ... on PadPairingRefused { code message }
  }
}`;
const DIGITS = /^\d{6}$/;

/** The code in the address (#code=NNNNNN, from the QR), taken out of the address at once so
 * it is neither kept in the history nor shown again on a reload. */
function codeFromAddress() {
  const match = /(?:^#|&)code=([^&]*)/.exec(location.hash);
  if (!match) {
    return null;
  }
  history.replaceState(null, "", location.pathname + location.search);
  const code = decodeURIComponent(match[1]).trim();
  return DIGITS.test(code) ? code : "";
}

/**
 * Render the pairing screen into `screen` for `windowCode`; `problem` (optional) is a plain
 * sentence saying why the pad is not paired any more. Calls `onPaired(token)` with the
 * device credential once the pad is paired.
 */
export function showPairing(screen, windowCode, { problem, onPaired }) {
  const alert = h("p", { className: "notice error", role: "alert", id: "pair-problem" });
  alert.textContent = problem || "";
  const code = h("input", {
    type: "text",
    id: "pair-code",
    className: "pair-code",
    inputmode: "numeric",
    autocomplete: "one-time-code",
    maxlength: "6",
    pattern: "[0-9]{6}",
    "aria-describedby": "pair-code-hint",
  });
  const button = h("button", { type: "submit", className: "primary wide" }, "配对");
  const form = h(
    "form",
    { className: "card pairing", novalidate: true },
    h("h2", { text: "评价器配对" }),
    h("p", {}, "本评价器将绑定到窗口 ", token(windowCode), "。"),
    h("p", {
      text: "请工作人员在差评处理工作台的“评价器配对”页为本窗口生成配对码，在下方输入，或用本设备扫描配对二维码。",
    }),
    alert,
    h("label", { for: "pair-code", text: "配对码" }),
    code,
    h("p", { className: "hint", id: "pair-code-hint", text: "6 位数字，生成后 10 分钟内有效，只能使用一次。" }),
    button,
  );

  async function claim(digits) {
    button.disabled = true;
    alert.className = "notice";
    alert.textContent = "正在配对…";
    try {
      const { claimPadPairing: result } = await gql(
        CLAIM,
        { w: windowCode, c: digits },
        { withDevice: false },
      );
      if (result.__typename === "PadPaired") {
        onPaired(result.token);
        return;
      }
      refuse(messageFor(result.code, result.message));
    } catch (error) {
      refuse(messageFor(error && error.code, error && error.apiMessage));
    }
  }

  function refuse(text) {
    button.disabled = false;
    alert.className = "notice error";
    alert.textContent = text;
    code.select();
    code.focus();
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const digits = code.value.replace(/\s/g, "");
    if (!DIGITS.test(digits)) {
      refuse("请输入工作人员提供的 6 位数字配对码");
      return;
    }
    claim(digits);
  });
  screen.replaceChildren(form);
  const scanned = codeFromAddress();
  if (scanned) {
    code.value = scanned;
    claim(scanned);
  } else if (scanned === "") {
    refuse("二维码中的配对码无效，请工作人员重新生成");
  } else {
    code.focus();
  }
}
