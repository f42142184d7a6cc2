// The dashboard: token sign-in, then the views below, routed by the URL fragment (#/view?state) so a view can be
// shared. Each view is one module in views/, beside the server file that serves it; embedded/README.md lists
// them with their routes (a tidy test keeps the two in step).

import { api, may, session, setToken, token } from "./api.js";
import { $, fail, h, showLogin, status } from "./dom.js";
import { go, route } from "./route.js";
import * as analyst from "./views/analyst.js";
import * as caseView from "./views/case.js";
import * as cases from "./views/cases.js";
import * as drill from "./views/drill.js";
import * as dv from "./views/dv.js";
import * as executive from "./views/executive.js";
import * as handoff from "./views/handoff.js";
import * as model from "./views/model.js";
import * as scenarios from "./views/scenarios.js";
import * as summary from "./views/summary.js";

// The views in navigation order: name → module (its title, the permission it needs, and render).
const VIEWS = {
  executive: executive,
  cases: cases,
  case: caseView,
  model: model,
  dv: dv,
  scenarios: scenarios,
  drill: drill,
  handoff: handoff,
  summary: summary,
  analyst: analyst,
};

// A view without a permission (the analyst) is open to every signed-in role.
function allowed(name) {
  return VIEWS[name].permission === null || may(VIEWS[name].permission);
}

function buildNav(current) {
  const nav = $("nav");
  nav.replaceChildren(
    ...Object.entries(VIEWS)
      .filter(([name, v]) => !v.hidden && allowed(name))
      .map(([name, v]) => h("a", { href: `#/${name}`, "aria-current": name === current ? "page" : null }, v.title)),
  );
  nav.hidden = false;
}

let renderSeq = 0;
// A message to show once the next view has rendered (for example, why a view was not opened).
let notice = "";
// What the current view asked to be done when it is left (end a live stream, say).
let leaving = [];

async function render() {
  if (!session.me) return;
  let { name, arg, params } = route();
  if (!VIEWS[name] || !allowed(name)) {
    const first = Object.keys(VIEWS).find((n) => !VIEWS[n].hidden && allowed(n));
    if (!first) {
      buildNav("");
      $("view").replaceChildren(h("p", { class: "status" }, `Signed in as ${session.me.role}: this role has no dashboard views.`));
      return;
    }
    if (name && VIEWS[name]) notice = `The ${session.me.role} role may not open the ${VIEWS[name].title} view.`;
    go(first, {}, null, true);
    name = first;
    arg = null;
    params = new URLSearchParams();
  }
  // Leaving (or re-rendering) a view ends what it started.
  for (const leave of leaving.splice(0)) leave();
  buildNav(name === "case" ? "cases" : name);
  document.title = `SafeHaven — ${VIEWS[name].title}`;
  const seq = ++renderSeq;
  const view = $("view");
  view.setAttribute("aria-busy", "true");
  status(`Loading ${VIEWS[name].title.toLowerCase()}…`);
  const context = { current: () => seq === renderSeq, rerender: render, onLeave: (leave) => leaving.push(leave) };
  try {
    const content = await VIEWS[name].render(params, arg, context);
    if (seq !== renderSeq) return;
    view.replaceChildren(content);
    // Time from navigation to a rendered view, for load measurements (performance.getEntriesByName).
    performance.mark(`view-rendered:${name}`);
    status(notice, Boolean(notice));
    notice = "";
  } catch (error) {
    if (seq !== renderSeq) return;
    if (error.status === 503) setTimeout(() => seq === renderSeq && render(), 2000);
    fail(error);
  } finally {
    view.setAttribute("aria-busy", "false");
    if (session.me?.privacy?.mode === "dp") refreshBudget();
  }
}

// Under differential privacy: the signed-in user's privacy budget left today, refreshed after each view.
function showBudget(privacy) {
  const el = $("budget");
  el.hidden = privacy?.mode !== "dp";
  if (el.hidden) return;
  const hours = Math.floor(privacy.refillsInSeconds / 3600);
  const minutes = Math.floor((privacy.refillsInSeconds % 3600) / 60);
  el.textContent = `· privacy budget ε ${privacy.remainingToday.toFixed(2)} of ${privacy.epsilonPerDay.toFixed(2)} left today`;
  el.title = `Each new view costs ε ${privacy.epsilonPerRelease.toFixed(2)}; views already opened today are free. Refills at 00:00 UTC (in ${hours} h ${minutes} min).`;
  el.classList.toggle("error", privacy.remainingToday < privacy.epsilonPerRelease);
}

async function refreshBudget() {
  try {
    session.me = await api("/api/v1/me");
    showBudget(session.me.privacy);
  } catch (error) {
    fail(error);
  }
}

async function start() {
  if (!token()) {
    showLogin();
    return;
  }
  try {
    session.me = await api("/api/v1/me");
    $("who-name").textContent = `${session.me.name} (${session.me.role})`;
    showBudget(session.me.privacy);
    $("who").hidden = false;
    $("login").hidden = true;
    $("app").hidden = false;
    await render();
  } catch (error) {
    fail(error);
  }
}

// Errors are counted on the page, so a headless browser can check that none happened.
const countError = () => (document.documentElement.dataset.jsErrors = Number(document.documentElement.dataset.jsErrors || 0) + 1);
window.addEventListener("error", countError);
window.addEventListener("unhandledrejection", countError);

function boot() {
  // A sign-in link (#token=…) stores the token for this tab and leaves the address bar clean.
  const fragment = new URLSearchParams(location.hash.replace(/^#/, ""));
  if (fragment.get("token")) {
    setToken(fragment.get("token"));
    const next = fragment.get("next");
    history.replaceState(null, "", next ? `#${next}` : "#/");
  }
  $("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const value = $("token").value.trim();
    if (!value) return;
    setToken(value);
    const response = await fetch("/api/v1/me", { headers: { Authorization: `Bearer ${value}` } });
    if (!response.ok) {
      showLogin("That token was not accepted. Check it, or ask an admin for a new one.");
      return;
    }
    start();
  });
  $("sign-out").addEventListener("click", () => showLogin());
  window.addEventListener("hashchange", render);
  start();
}

// A module runs once the document is parsed; it may still be loading other resources.
if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
else boot();
