// The staff member's sign-in: a token kept for this tab only (sessionStorage), put there by
// the mock login in dev or handed back by the identity provider in the URL fragment (never
// sent to a server), which the page then takes out of the address bar.
import { claims, tokenStore } from "/mp/tokens.js";

const tokens = tokenStore("hcp.staffToken");

/** Where 登录 goes, as the server wrote it into the page; null when there is none (prod:
 * the identity provider signs staff in). Only a path of this site. */
export function loginEntry() {
  const meta = document.querySelector('meta[name="hcp-staff-login"]');
  const entry = meta ? meta.content.trim() : "";
  return entry.startsWith("/") && !entry.startsWith("//") ? entry : null;
}

export const keepToken = tokens.keep;
export const takeTokenFromUrl = tokens.takeFromUrl;
export const staffToken = tokens.valid;

/** The name in the token, for the header; the API's `viewer` is what decides the role. */
export function staffName() {
  const token = staffToken();
  const body = token ? claims(token) : null;
  return body && typeof body.name === "string" ? body.name : "";
}

export function signOut() {
  tokens.forget();
  location.assign(location.pathname);
}
