// POST /graphql with the caller's credentials and the device id the anti-abuse limits count.
const DEVICE_KEY = "hcp.device";
const DEVICE_SHAPE = /^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{22}$/;
const DEVICE_WAIT_MS = 3000;
const TIMEOUT_MS = 20000;
const SLOW_MS = 3000;

export class ApiError extends Error {
  constructor(code, apiMessage) {
    super(code);
    this.code = code;
    this.apiMessage = apiMessage;
  }
}

let device = null;

/**
 * The device id the server issued this browser (POST /device), or null. Asked once per
 * page: the server answers with the id it is sent when it still recognises it (after a
 * key rotation it does not, and issues another). Never throws and never waits long: a
 * page without an id still rates, the limits just do not count it as a device.
 */
export function deviceId() {
  device = device || confirmDevice();
  return device;
}

async function confirmDevice() {
  let kept = null;
  try {
    kept = localStorage.getItem(DEVICE_KEY);
  } catch {
    // Storage may be off (private mode): ask for an id for this page only.
  }
  if (!kept || !DEVICE_SHAPE.test(kept)) {
    kept = null;
  }
  const headers = kept ? { "x-hcp-device": kept } : {};
  try {
    const response = await fetch("/device", {
      method: "POST",
      headers,
      signal: AbortSignal.timeout(DEVICE_WAIT_MS),
    });
    const body = response.ok ? await response.json() : null;
    if (body && typeof body.device === "string" && DEVICE_SHAPE.test(body.device)) {
      try {
        localStorage.setItem(DEVICE_KEY, body.device);
      } catch {
        // Not kept: the next page asks again.
      }
      return body.device;
    }
  } catch {
    // Offline or slow: handled below like a refusal.
  }
  // The kept id, if any (the server ignores it if it no longer knows it); without one the
  // page rates all the same, just not counted as a device.
  return kept;
}

export function randomId() {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Run one GraphQL operation. `authorization` is the full header value ("Bearer …" or
 * "Pad …"); `onSlow` is called once when the answer takes long, so pages can say so;
 * `withDevice: false` for pages whose calls no anti-abuse limit counts (pad, poster).
 * Throws ApiError with the API's code, or NETWORK / TIMEOUT.
 */
export async function gql(query, variables = {}, options = {}) {
  const { authorization, onSlow, withDevice = true } = options;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  const slow = onSlow ? setTimeout(onSlow, SLOW_MS) : null;
  const headers = { "content-type": "application/json" };
  if (authorization) {
    headers.authorization = authorization;
  }
  // A pad's device is its pairing; staff pages (the poster) rate nothing.
  const id = withDevice && !(authorization || "").startsWith("Pad ") ? await deviceId() : null;
  if (id) {
    headers["x-hcp-device"] = id;
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
