// The API client: the bearer token (sessionStorage only, gone when the tab closes), who is signed in, and every
// request to the server. A 401 throws Unauthenticated, which sends the user back to sign-in.

const TOKEN_KEY = "safehaven.token";

export class Unauthenticated extends Error {}

// Who is signed in (GET /api/v1/me): name, role and permissions; null when nobody is.
export const session = { me: null };

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(value) {
  sessionStorage.setItem(TOKEN_KEY, value);
}

export function clearToken() {
  sessionStorage.removeItem(TOKEN_KEY);
  session.me = null;
}

export function may(permission) {
  return Boolean(session.me && session.me.permissions.includes(permission));
}

// fetch with the bearer token; a 401 throws Unauthenticated.
export async function authorized(url, options = {}) {
  const headers = { Authorization: `Bearer ${token()}`, ...(options.headers || {}) };
  const response = await fetch(url, { ...options, headers });
  if (response.status === 401) throw new Unauthenticated();
  return response;
}

// The error a non-2xx answer stands for: the server's message (or "<what> answered N"), with the status.
export async function failure(response, what) {
  let message = `${what} answered ${response.status}`;
  try {
    const body = await response.json();
    if (body && body.error && body.error.message) message = body.error.message;
  } catch (_) { /* not JSON */ }
  const error = new Error(message);
  error.status = response.status;
  return error;
}

// A JSON (or SVG text) API call; a non-2xx answer throws an Error with the server's message and status.
export async function api(url, options = {}) {
  const headers = { Accept: options.accept || "application/json" };
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  const response = await authorized(url, {
    method: options.method || "GET",
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  if (!response.ok) throw await failure(response, url);
  return options.accept && options.accept.includes("svg") ? response.text() : response.json();
}

let vocabularyRequest = null;

// The lists the filters offer (regions, credit groups, age bands, case indicators), from the server's one
// vocabulary; fetched once per page.
export function vocabulary() {
  vocabularyRequest ||= api("/api/v1/vocabulary").catch((error) => {
    vocabularyRequest = null;
    throw error;
  });
  return vocabularyRequest;
}
