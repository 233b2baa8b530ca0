// The staff member's sign-in: a token kept for this tab only (sessionStorage), put there by
// the mock login in dev or handed back by the identity provider in the URL fragment (never
// sent to a server), which the page then takes out of the address bar.
const KEY = "hcp.staffToken";

/** Where 登录 goes, as the server wrote it into the page; null when there is none (prod:
 * the identity provider signs staff in). Only a path of this site. */
export function loginEntry() {
  const meta = document.querySelector('meta[name="hcp-staff-login"]');
  const entry = meta ? meta.content.trim() : "";
  return entry.startsWith("/") && !entry.startsWith("//") ? entry : null;
}

export function keepToken(token) {
  sessionStorage.setItem(KEY, token);
}

export function takeTokenFromUrl() {
  const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (match) {
    keepToken(decodeURIComponent(match[1]));
    history.replaceState(null, "", location.pathname + location.search);
  }
}

function claims(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const bytes = Uint8Array.from(atob(part), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return null;
  }
}

/** The stored token while it is valid, else null (an expired one is forgotten). */
export function staffToken() {
  const token = sessionStorage.getItem(KEY);
  if (!token) {
    return null;
  }
  const body = claims(token);
  if (!body || (typeof body.exp === "number" && body.exp * 1000 < Date.now())) {
    sessionStorage.removeItem(KEY);
    return null;
  }
  return token;
}

/** The name in the token, for the header; the API's `viewer` is what decides the role. */
export function staffName() {
  const token = staffToken();
  const body = token ? claims(token) : null;
  return body && typeof body.name === "string" ? body.name : "";
}

export function signOut() {
  sessionStorage.removeItem(KEY);
  location.assign(location.pathname);
}
