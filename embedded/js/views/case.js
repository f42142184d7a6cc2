// A case page: indicators, probability now and 3 and 12 months ago, every input's contribution in words, the
// what-if sliders (state in the URL), review flags and the hand-off signal a flag opens (queue, owner, state,
// SLA clocks, CRM record; acknowledge, hand off, close). Served by src/server/portfolio.rs.

import { api, session } from "../api.js";
import { card, fail, h, status, table } from "../dom.js";
import { money, num, pct, signed, words } from "../format.js";
import { go } from "../route.js";
import { actions, clock, handoffStatus, stateLabel, when } from "./handoff.js";

export const title = "Case";
export const permission = "caseDetail";
// Opened from the case list, not the navigation.
export const hidden = true;

const LABELS = {
  income: ["Income", money], debt: ["Debt", money], credit_score: ["Credit score", num], loan_amount: ["Loan", money],
  missed_payments_12m: ["Missed payments (12 m)", num], overdrafts_12m: ["Overdrafts (12 m)", num],
  chronic_conditions: ["Chronic conditions", num], claims_12m: ["Claims (12 m)", num], denied_claims_12m: ["Denied claims (12 m)", num],
  medical_cost_12m: ["Medical costs (12 m)", money], out_of_pocket_12m: ["Out of pocket (12 m)", money],
};

export async function render(params, maskedId) {
  const c = await api(`/api/v1/cases/${encodeURIComponent(maskedId)}`);
  const shock = {
    medicalCostPct: Number(params.get("medicalCostPct") || 0),
    incomePct: Number(params.get("incomePct") || 0),
    unemployed: params.get("unemployed") === "1",
  };
  const indicatorRows = (list) => list.map((i) => [LABELS[i.name] ? LABELS[i.name][0] : i.name, LABELS[i.name] ? LABELS[i.name][1](i.value) : String(i.value)]);
  const result = h("p", { class: "big", id: "whatif-probability", "aria-live": "polite" }, pct(c.probability));
  const resultNote = h("p", { class: "hint", id: "whatif-note" }, "Move a slider to rescore this case.");
  const reasons = h("ul", { id: "whatif-reasons" });
  const slider = (id, label, min, max, value) => {
    const input = h("input", { type: "range", id, min, max, step: "5", value: String(value) });
    const out = h("output", { for: id }, `${value > 0 ? "+" : ""}${value} %`);
    input.addEventListener("input", () => (out.textContent = `${Number(input.value) > 0 ? "+" : ""}${input.value} %`));
    input.addEventListener("change", rescore);
    return [h("label", { for: id }, label, h("span", {}, input, " ", out)), input];
  };
  const [medicalLabel, medical] = slider("medical-cost", "Medical costs", -50, 200, shock.medicalCostPct);
  const [incomeLabel, income] = slider("income", "Income", -80, 50, shock.incomePct);
  const jobless = h("input", { type: "checkbox", id: "unemployed", checked: shock.unemployed, onchange: rescore });
  async function rescore() {
    const body = { medicalCostPct: Number(medical.value), incomePct: Number(income.value), unemployed: jobless.checked };
    go("case", { medicalCostPct: body.medicalCostPct || "", incomePct: body.incomePct || "", unemployed: body.unemployed ? 1 : "" }, maskedId, true);
    try {
      const impact = await api(`/api/v1/cases/${encodeURIComponent(maskedId)}/what-if`, { method: "POST", body });
      result.textContent = pct(impact.newProbability);
      result.classList.toggle("up", impact.change > 0);
      resultNote.textContent = `from ${pct(impact.oldProbability)} (${signed(impact.change, (v) => pct(v))})`;
      reasons.replaceChildren(...impact.newReasons.map((r) => h("li", {}, r.text)));
    } catch (error) {
      fail(error);
    }
  }
  const path = `/api/v1/cases/${encodeURIComponent(maskedId)}`;
  const signalHeading = h("h3", { id: "signal-heading", tabindex: "-1" }, "Hand-off");
  const signalBox = h("div", { id: "case-signal" });
  const DONE = { acknowledge: "acknowledged: you own it", handoff: "handed off", close: "closed" };
  const showSignal = (s) => {
    if (!s) {
      signalBox.replaceChildren(h("p", { class: "hint", id: "signal-none" }, "Not in the hand-off workflow: flagging the case for review opens its signal, routed to a queue by the rules."));
      return;
    }
    const act = async (name, body) => {
      const next = await api(`${path}/${name}`, { method: "POST", body });
      showSignal(next);
      signalHeading.focus();
      status(`${next.signalId} ${DONE[name]}; the act is in the audit log.`);
    };
    const row = (label, value, id) => [h("dt", {}, label), h("dd", { id }, value)];
    signalBox.replaceChildren(
      h(
        "dl",
        {},
        row("Signal", h("code", {}, s.signalId)),
        row("Queue", `${s.queue} (route ${s.route})`, "signal-queue"),
        row("Owner", s.owner || "nobody yet"),
        row("State", stateLabel(s.state, s.closingReason), "signal-state"),
        row("Acknowledge SLA", clock(s.sla && s.sla.acknowledge)),
        row("Hand-off SLA", clock(s.sla && s.sla.handoff)),
        row("CRM record", handoffStatus(s)),
        row("Opened", when(s.openedAt)),
        s.closedAt ? row("Closed", when(s.closedAt)) : [],
        s.closingReason ? row("Closing reason", words(s.closingReason), "signal-closing-reason") : [],
      ),
      actions({ subject: s.signalId, state: s.state, crmId: s.crmId, act }),
    );
  };
  showSignal(c.signal);
  const flags = h("ul", { id: "flags" }, ...c.flags.map((f) => h("li", {}, `${f.createdAt} · ${f.actor}: ${f.reason}`)));
  const reason = h("textarea", { id: "flag-reason", name: "reason", required: true, maxlength: "500" });
  const flagForm = h(
    "form",
    {
      class: "inline",
      onsubmit: async (e) => {
        e.preventDefault();
        try {
          const flagged = await api(`${path}/flag`, { method: "POST", body: { reason: reason.value } });
          flags.append(h("li", {}, `just now · ${session.me.name}: ${reason.value}`));
          reason.value = "";
          showSignal((await api(path)).signal);
          status(`Flagged for review; ${flagged.signalOpened ? `signal ${flagged.signalId} opened` : `signal ${flagged.signalId} carries on as it was`}. The act is in the audit log.`);
        } catch (error) {
          fail(error);
        }
      },
    },
    h("label", { for: "flag-reason" }, "Why should this case be reviewed?", reason),
    h("button", { type: "submit", class: "button" }, "Flag for review"),
  );
  const content = h(
    "div",
    {},
    h("p", {}, h("a", { href: "#/cases" }, "← Cases")),
    h("h1", {}, "Case ", h("code", {}, c.maskedId)),
    h("p", { class: "hint" }, `${c.regionName} · ${c.ageBand} · ${words(c.employment)} · ${words(c.creditGroup)} · ${c.insurerMember ? "insurer member" : "no insurer records"}`),
    h(
      "section",
      { class: "cards", "aria-label": "Risk" },
      card("Probability of distress (12 m)", pct(c.probability), h("span", { class: "delta" }, `${c.points} points · ${c.highRisk ? "high risk" : "below the threshold"}`), "case-probability"),
      card("3 months ago", c.probability3mAgo == null ? "–" : pct(c.probability3mAgo)),
      card("12 months ago", c.probability12mAgo == null ? "–" : pct(c.probability12mAgo)),
    ),
    h(
      "div",
      { class: "grid3" },
      h("section", { class: "panel" }, h("h2", {}, "Financial stress"), table("Financial indicators", ["Indicator", { label: "Value", num: true }], indicatorRows(c.financial))),
      h("section", { class: "panel" }, h("h2", {}, "Medical stress"), table("Medical indicators", ["Indicator", { label: "Value", num: true }], indicatorRows(c.medical))),
      h(
        "section",
        { class: "panel" },
        h("h2", {}, "Why"),
        h("p", { class: "hint" }, "Each input's pull on the log odds against the average person; positive raises the risk."),
        table("Contributions", ["Input", { label: "Pull", num: true }], c.contributions.map((r) => [r.text, signed(r.contribution, (v) => v.toFixed(2))])),
      ),
    ),
    h(
      "section",
      { class: "panel", "aria-labelledby": "whatif-heading" },
      h("h2", { id: "whatif-heading" }, "What-if stress test"),
      h("div", { class: "controls" }, medicalLabel, incomeLabel, h("label", { for: "unemployed" }, "Loses their job", jobless)),
      result,
      resultNote,
      reasons,
    ),
    h("section", { class: "panel", "aria-labelledby": "review-heading" }, h("h2", { id: "review-heading" }, "Review"), signalHeading, signalBox, h("h3", {}, "Flags"), flags, flagForm),
  );
  if (shock.medicalCostPct || shock.incomePct || shock.unemployed) rescore();
  return content;
}
