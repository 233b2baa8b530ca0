// The API as the console calls it: GraphQL, the evidence files and the exports, with the
// staff token.
import { signOut, staffToken } from "./session.js";

const TIMEOUT_MS = 20000;
// An export of a year is made as it downloads and may take minutes.
const EXPORT_TIMEOUT_MS = 10 * 60 * 1000;

export class ApiError extends Error {
  constructor(code, apiMessage) {
    super(code);
    this.code = code;
    this.apiMessage = apiMessage;
  }
}

function authorization() {
  const token = staffToken();
  return token ? { authorization: `Bearer ${token}` } : {};
}

function failure(error) {
  return new ApiError(error && error.name === "TimeoutError" ? "TIMEOUT" : "NETWORK");
}

async function send(path, init, timeout = TIMEOUT_MS) {
  try {
    return await fetch(path, { ...init, signal: AbortSignal.timeout(timeout) });
  } catch (error) {
    throw failure(error);
  }
}

/** Run one GraphQL operation; throws ApiError with the API's code. An expired or refused
 * token signs the staff member out, back to the sign-in view. */
export async function gql(query, variables = {}) {
  const response = await send("/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", ...authorization() },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json().catch(() => null);
  if (body && Array.isArray(body.errors) && body.errors.length) {
    const first = body.errors[0] || {};
    const code = String((first.extensions && first.extensions.code) || "INTERNAL");
    if (code === "UNAUTHENTICATED") {
      signOut();
    }
    throw new ApiError(code);
  }
  if (!response.ok || !body || !body.data) {
    throw new ApiError(response.status === 413 ? "PAYLOAD_TOO_LARGE" : "INTERNAL");
  }
  return body.data;
}

/** Upload one file as evidence: its id, or ApiError with the server's message. */
export async function uploadEvidence(file) {
  const response = await send("/evidence", {
    method: "POST",
    headers: { ...authorization(), "x-file-name": encodeURIComponent(file.name) },
    body: file,
  });
  const body = await response.json().catch(() => ({}));
  if (response.status !== 201 || typeof body.id !== "string") {
    throw new ApiError(body.code || "INTERNAL", body.message);
  }
  return body.id;
}

/** An evidence file, as a Blob (an <img src> could not send the token). */
export async function evidenceFile(id) {
  const response = await send(`/evidence/${encodeURIComponent(id)}`, {
    headers: authorization(),
  });
  if (!response.ok) {
    throw new ApiError(response.status === 404 ? "NOT_FOUND" : "INTERNAL");
  }
  return response.blob();
}

/** An export file (GET /console/export/…) as { blob, name }, the name the server gave it; or
 * ApiError with the server's code and message. A refused token signs the staff member out. */
export async function exportFile(path) {
  const response = await send(path, { headers: authorization() }, EXPORT_TIMEOUT_MS);
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    if (response.status === 401) {
      signOut();
    }
    throw new ApiError(body.code || "INTERNAL", body.message);
  }
  const named = /filename="([^"]+)"/.exec(response.headers.get("content-disposition") || "");
  try {
    return { blob: await response.blob(), name: named ? named[1] : "export" };
  } catch (error) {
    throw failure(error); // the connection broke or timed out half-way through the file
  }
}
