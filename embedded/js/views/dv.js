// The DV service: assessments by level (k-guarded), the crisis-alert queue with each alert's hand-off workflow
// (queue, owner, state, SLA, CRM record; acknowledge, hand off, close with a reason and a note), the highest
// scores, and an assessment panel with its patterns, screens, recommendations and resources. Served by
// src/server/dv.rs.

import { api } from "../api.js";
import { card, fail, h, levelBadge, table } from "../dom.js";
import { num, words } from "../format.js";
import { actions, clocks, handoffStatus, stateLabel } from "./handoff.js";

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
  const act = async (alert, action, body) => {
    await api(`/api/v1/alerts/${encodeURIComponent(alert.alertId)}/${action}`, { method: "POST", body });
    view.rerender();
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
      { class: "panel", id: "alerts", "aria-labelledby": "alerts-heading" },
      h("h2", { id: "alerts-heading" }, `Crisis alerts (${open.length} open)`),
      h("p", { class: "hint" }, "Acknowledging makes you the owner; handing off records the CRM's record ID when there is one; closing takes a reason and a note (the note stays here: it is never sent). The SLA is the route's clock from when the alert opened."),
      alerts.length
        ? h(
            "div",
            { class: "table-scroll" },
            table(
              "Alert queue",
              ["Alert and survivor", "Level and reason", "Queue", "Owner", "State", "SLA", "Hand-off", "Actions"],
              alerts.map((a) => [
                h("span", {}, a.alertId, h("code", { class: "sub" }, a.survivorId)),
                h("span", {}, levelBadge(a.riskLevel), h("span", { class: "sub" }, words(a.reason))),
                a.signal ? a.signal.queue : "–",
                a.signal && a.signal.owner ? a.signal.owner : "–",
                stateLabel(a.status, a.signal && a.signal.closingReason),
                clocks(a.signal),
                handoffStatus(a.signal),
                // An alert from before hand-off has no signal until its first act opens one.
                actions({ subject: a.alertId, state: a.status, crmId: a.signal && a.signal.crmId, handOff: Boolean(a.signal), note: true, act: (name, body) => act(a, name, body) }),
              ]),
            ),
          )
        : h("p", { class: "hint" }, "No crisis alerts: a critical assessment, a screened-in LAP or a DASH referral opens one."),
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
