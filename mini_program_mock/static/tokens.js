// A signed-in person's token, kept for this tab only (sessionStorage), for the citizen's
// pages and the staff console alike. A token handed back in the URL fragment (never sent to
// a server) is taken in and out of the address bar.

/** The token's claims (not verified: the API does that), or null. */
export function claims(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const bytes = Uint8Array.from(atob(part), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return null;
  }
}

export function tokenStore(key) {
  const keep = (token) => sessionStorage.setItem(key, token);
  return {
    keep,
    forget: () => sessionStorage.removeItem(key),
    takeFromUrl() {
      const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
      if (match) {
        keep(decodeURIComponent(match[1]));
        history.replaceState(null, "", location.pathname + location.search);
      }
    },
    /** The stored token while it is valid, else null (an expired one is forgotten). */
    valid() {
      const token = sessionStorage.getItem(key);
      if (!token) {
        return null;
      }
      const body = claims(token);
      if (!body || (typeof body.exp === "number" && body.exp * 1000 < Date.now())) {
        sessionStorage.removeItem(key);
        return null;
      }
      return token;
    },
  };
}
