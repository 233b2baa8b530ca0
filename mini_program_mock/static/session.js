// The citizen's sign-in: the page sends the citizen to the platform's real-name login with
// its own address as `return`; the platform hands back a token in the URL fragment (never
// sent to a server); the page keeps it for this tab only and takes it out of the address bar.
import { tokenStore } from "./tokens.js";
import { h } from "./ui.js";

const tokens = tokenStore("hcp.citizenToken");
const NO_LOGIN =
  "实名登录暂未开通，暂时无法在本页登录。您可以在办事窗口的评价器上评价，或咨询大厅工作人员。";

/** The platform's login entry, as the server wrote it into the page (HCP_LOGIN_URL, or the
 * mock platform's page in dev); null when none is configured. */
function loginEntry() {
  const meta = document.querySelector('meta[name="hcp-login-url"]');
  const entry = meta ? meta.content.trim() : "";
  try {
    const { protocol } = new URL(entry, location.origin);
    return entry && (protocol === "https:" || protocol === "http:") ? entry : null;
  } catch {
    return null;
  }
}

/** Where 实名登录 goes: the login entry with this page's address as `return` (in place of
 * `{return}` when the entry names where it goes), kept apart from the entry's own query. */
export function signInUrl() {
  const entry = loginEntry();
  if (!entry) {
    return null;
  }
  const back = encodeURIComponent(location.origin + location.pathname + location.search);
  if (entry.includes("{return}")) {
    return entry.replace("{return}", back);
  }
  const [address, ...fragment] = entry.split("#");
  const joiner = !address.includes("?") ? "?" : /[?&]$/.test(address) ? "" : "&";
  return `${address}${joiner}return=${back}${fragment.length ? `#${fragment.join("#")}` : ""}`;
}

export const takeTokenFromUrl = tokens.takeFromUrl;
export const citizenToken = tokens.valid;

export function bearer() {
  const token = citizenToken();
  return token ? `Bearer ${token}` : null;
}

export function signIn() {
  const target = signInUrl();
  if (target) {
    location.assign(target);
  }
}

/** The 实名登录 button; with no login configured, a plain note instead of a dead button. */
export function signInButton() {
  if (!signInUrl()) {
    return h("p", { className: "notice error", role: "note", text: NO_LOGIN });
  }
  return h("button", { type: "button", className: "primary wide", onClick: signIn }, "实名登录");
}

export function signOut() {
  tokens.forget();
  location.reload();
}
