// POST /graphql with the caller's credentials and the device id the anti-abuse limits count.
const DEVICE_KEY = "hcp.device";
const TIMEOUT_MS = 20000;
const SLOW_MS = 3000;

export class ApiError extends Error {
  constructor(code, apiMessage) {
    super(code);
    this.code = code;
    this.apiMessage = apiMessage;
  }
}

export function deviceId() {
  let id = localStorage.getItem(DEVICE_KEY);
  if (!id || !/^[A-Za-z0-9_-]{16,64}$/.test(id)) {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    id = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    localStorage.setItem(DEVICE_KEY, id);
  }
  return id;
}

export function randomId() {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Run one GraphQL operation. `authorization` is the full header value ("Bearer …" or
 * "Pad …"); `onSlow` is called once when the answer takes long, so pages can say so.
 * Throws ApiError with the API's code, or NETWORK / TIMEOUT.
 */
export async function gql(query, variables = {}, { authorization, onSlow } = {}) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  const slow = onSlow ? setTimeout(onSlow, SLOW_MS) : null;
  const headers = { "content-type": "application/json", "x-hcp-device": deviceId() };
  if (authorization) {
    headers.authorization = authorization;
  }
  try {
    let response;
    try {
      response = await fetch("/graphql", {
        method: "POST",
        headers,
        body: JSON.stringify({ query, variables }),
        signal: controller.signal,
      });
    } catch (error) {
      throw new ApiError(error && error.name === "AbortError" ? "TIMEOUT" : "NETWORK");
    }
    let body;
    try {
      body = await response.json();
    } catch {
      throw new ApiError(response.status === 413 ? "PAYLOAD_TOO_LARGE" : "NETWORK");
    }
    if (body && Array.isArray(body.errors) && body.errors.length) {
      const first = body.errors[0] || {};
      const code = (first.extensions && first.extensions.code) || "INTERNAL";
      throw new ApiError(String(code));
    }
    if (!response.ok || !body || !body.data) {
      throw new ApiError("INTERNAL");
    }
    return body.data;
  } finally {
    clearTimeout(timer);
    if (slow) {
      clearTimeout(slow);
    }
  }
}
