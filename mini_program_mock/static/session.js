// The citizen's sign-in: the platform hands back a token in the URL fragment (never sent to
// a server); the page keeps it for this tab only and takes it out of the address bar.
const KEY = "hcp.citizenToken";
export const LOGIN_URL = "/mock-platform/login";

export function takeTokenFromUrl() {
  const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (match) {
    sessionStorage.setItem(KEY, decodeURIComponent(match[1]));
    history.replaceState(null, "", location.pathname + location.search);
  }
}

function claims(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(part));
  } catch {
    return null;
  }
}

/** The stored token while it is valid, else null (an expired one is forgotten). */
export function citizenToken() {
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

export function bearer() {
  const token = citizenToken();
  return token ? `Bearer ${token}` : null;
}

export function signIn() {
  const back = location.pathname + location.search;
  location.assign(`${LOGIN_URL}?return=${encodeURIComponent(back)}`);
}

export function signOut() {
  sessionStorage.removeItem(KEY);
  location.reload();
}
