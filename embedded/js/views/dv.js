// The DV service: assessments by level (k-guarded), the crisis-alert queue with acknowledge and close, the
// highest scores, and an assessment panel with its patterns, screens, recommendations and resources. Served by
// src/server/dv.rs.

import { api } from "../api.js";
import { card, fail, h, levelBadge, table } from "../dom.js";
import { num, words } from "../format.js";

export const title = "DV service";
export const permission = "dvService";

export async function render(params, arg, view) {
  const [overview, queue] = await Promise.all([api("/api/v1/dv/overview"), api("/api/v1/alerts")]);
  const alerts = queue.alerts;
  const detail = h("div", { id: "assessment" });
  const assess = async (id) => {
    try {
      const a = await api("/api/v1/risk-assessment/create", { method: "POST", body: { userId: id } });
      detail.replaceChildren(assessmentPanel(id, a));
      detail.scrollIntoView();
    } catch (error) {
      fail(error);
    }
  };
  const act = async (alert, action) => {
    const note = prompt(action === "close" ? "Closing note (required):" : "Note (optional):") ?? null;
    if (note === null) return;
    try {
      await api(`/api/v1/alerts/${alert.alertId}/${action}`, { method: "POST", body: note ? { note } : {} });
      view.rerender();
    } catch (error) {
      fail(error);
    }
  };
  const open = alerts.filter((a) => a.status !== "closed");
  return h(
    "div",
    {},
    h("h1", {}, "DV service"),
    h("p", { class: "hint" }, `Synthetic survivors assessed as of ${overview.asOf}. Narratives and contacts stay sealed; assessments read incident metadata only.`),
    h("section", { class: "cards", "aria-label": "Assessments by level" }, ...overview.levels.cells.map((c) => card(c.label, num(c.count)))),
    h(
      "section",
      { class: "panel" },
      h("h2", {}, `Crisis alerts (${open.length} open)`),
      table("Alert queue", ["Alert", "Survivor", "Level", "Reason", "Status", ""], alerts.map((a) => [a.alertId, h("code", {}, a.survivorId), levelBadge(a.riskLevel), a.reason, a.status, a.status === "closed" ? "" : h("span", {}, a.status === "open" ? h("button", { type: "button", class: "button", onclick: () => act(a, "acknowledge") }, "Acknowledge") : null, " ", h("button", { type: "button", class: "button", onclick: () => act(a, "close") }, "Close"))])),
    ),
    h(
      "section",
      { class: "panel" },
      h("h2", {}, "Highest scores"),
      table("Survivors by score", ["Survivor", "Level", { label: "Score", num: true }, { label: "Incidents", num: true }, { label: "Days since last", num: true }, ""], overview.survivors.map((s) => [h("code", {}, s.maskedId), levelBadge(s.riskLevel), s.overallScore.toFixed(1), String(s.incidents), s.daysSinceLast == null ? "–" : String(s.daysSinceLast), h("button", { type: "button", class: "button", onclick: () => assess(s.maskedId) }, "Assess")])),
    ),
    detail,
  );
}

function assessmentPanel(id, a) {
  const evidence = Object.entries(a.patternEvidence || {});
  return h(
    "section",
    { class: "panel", "aria-label": "Assessment" },
    h("h2", {}, "Assessment ", h("code", {}, id), " ", levelBadge(a.riskLevel)),
    h("p", {}, a.summary),
    h(
      "section",
      { class: "cards" },
      card("Overall", String(a.overallScore)),
      card("Lethality", a.lethalityScore.toFixed(0)),
      card("Frequency", a.frequencyScore.toFixed(0)),
      card("Escalation", a.escalationScore.toFixed(0)),
      card("Isolation", a.isolationScore.toFixed(0)),
      card("Confidence", String(a.confidenceScore)),
    ),
    h("h3", {}, "Patterns and their evidence"),
    evidence.length ? h("ul", {}, ...evidence.map(([p, e]) => h("li", {}, `${words(p)}: ${Array.isArray(e) ? e.join("; ") : JSON.stringify(e)}`))) : h("p", {}, "No pattern detected."),
    h("h3", {}, "Published screens"),
    a.screens && a.screens.length
      ? h("ul", {}, ...a.screens.map((sc) => h("li", {}, `${sc.kind.toUpperCase()} ${sc.screenId}: ${sc.kind === "lap" ? (sc.screenedIn ? "screened in" : "not screened in") : (sc.refer ? "refer to MARAC" : "no referral")} — ${sc.reason || (sc.reasons || []).join("; ")}`)))
      : h("p", { class: "hint" }, "No LAP or DASH screen is stored for this survivor (POST /api/v1/screens/lap or /dash with its userId)."),
    h("h3", {}, "Recommendations"),
    h("pre", { class: "wrap" }, a.recommendations),
    h("h3", {}, "Resources"),
    h("pre", { class: "wrap" }, a.crisisResources),
  );
}
