// The offline analyst: ask in plain English (#/analyst?q=…), get the answer with its figures, chart, table and
// SQL, a link to the dashboard view with the same filters, and follow-ups that keep the previous plan. Also the
// executive brief. Served by src/server/analyst.rs.

import { api } from "../api.js";
import { chartPanel, fail, h, status, table } from "../dom.js";
import { go } from "../route.js";

export const title = "Analyst";
// Every role may ask; each figure needs its own permission, and the server refuses what the role may not see.
export const permission = null;

// The plan of the last answer, sent back with a follow-up ("what about Texas?"). Kept per tab, in memory.
let previousPlan = null;

function cellText(v) {
  if (v === null || v === undefined) return "withheld";
  if (typeof v === "number") return Number.isInteger(v) ? v.toLocaleString("en-US") : v.toLocaleString("en-US", { maximumFractionDigits: 4 });
  return String(v);
}

async function answerPanel(answer, ask) {
  const parts = [];
  parts.push(h("p", { class: "hint", id: "analyst-interpretation" }, answer.interpretation ? `Answering: ${answer.interpretation}` : ""));
  parts.push(h("p", { id: "analyst-text", class: `answer ${answer.outcome}` }, answer.text));
  if (answer.options.length) {
    parts.push(h("div", { class: "chips", id: "analyst-options" }, ...answer.options.map((o) => h("button", { type: "button", class: "button", onclick: () => ask(o.question, false) }, o.question))));
  }
  if (answer.warnings.length) {
    parts.push(h("ul", { class: "hint", id: "analyst-warnings" }, ...answer.warnings.map((w) => h("li", {}, w))));
  }
  if (answer.chartUrl) {
    try {
      parts.push(await chartPanel("Chart", answer.chartUrl, "answer.svg", null));
    } catch (e) {
      parts.push(h("p", { class: "hint" }, `The chart could not be drawn: ${e.message}`));
    }
  }
  if (answer.table) {
    parts.push(h("section", { class: "panel", id: "analyst-table" }, h("h2", {}, "Figures"), table("The answer's figures", answer.table.columns.map((c, i) => (i ? { label: c, num: true } : c)), answer.table.display.length ? answer.table.display : answer.table.rows.map((r) => r.map(cellText)))));
  }
  if (answer.sql) {
    parts.push(
      h(
        "details",
        { class: "panel", id: "analyst-sql" },
        h("summary", {}, "SQL"),
        h("pre", {}, h("code", {}, answer.sql)),
        h("p", { class: "hint" }, `Parameters, in order: ${JSON.stringify(answer.sqlParameters)}`),
        answer.sqlNote ? h("p", { class: "hint" }, answer.sqlNote) : null,
      ),
    );
  }
  const actions = [];
  if (answer.link) actions.push(h("a", { class: "button", href: answer.link, id: "analyst-open" }, "Open in dashboard"));
  for (const s of answer.suggestions) actions.push(h("button", { type: "button", class: "button", onclick: () => ask(s, true) }, s));
  if (actions.length) parts.push(h("div", { class: "chips", id: "analyst-followups" }, ...actions));
  return h("section", { class: "panel", id: "analyst-answer", "aria-live": "polite" }, ...parts);
}

async function briefPanel() {
  const brief = await api("/api/v1/analyst/brief");
  const sections = { headline: "Headline", movers: "Movers", scenarios: "Stress scenarios", dv: "DV service" };
  return h(
    "section",
    { class: "panel", id: "analyst-brief" },
    h("h2", {}, `Executive brief — as of ${brief.asOf}`),
    ...Object.entries(sections).map(([key, heading]) => {
      const lines = brief.lines.filter((l) => l.section === key);
      if (!lines.length) return null;
      return h("div", {}, h("h3", {}, heading), h("ul", {}, ...lines.map((l) => h("li", {}, l.text, " ", h("a", { href: l.link }, "view")))));
    }),
  );
}

export async function render(params, _arg, view) {
  const [{ suggestions }] = await Promise.all([api("/api/v1/analyst/suggestions")]);
  const out = h("div", { id: "analyst-out" });
  const input = h("input", { type: "text", id: "analyst-question", name: "question", maxlength: "1000", placeholder: "Ask about risk, exposure, trends, the model, scenarios…", value: params.get("q") || "", "aria-label": "Question" });
  async function ask(question, followUp) {
    if (!question.trim()) {
      status("Type a question first.", true);
      return;
    }
    input.value = question;
    status("Answering…");
    try {
      const answer = await api("/api/v1/analyst/ask", { method: "POST", body: { question, previousPlan: followUp ? previousPlan : null } });
      if (!view.current()) return;
      if (answer.plan) previousPlan = answer.plan;
      out.replaceChildren(await answerPanel(answer, ask));
      status("");
      // The question is in the address, so the answer can be shared (the recipient's role decides what it shows).
      history.replaceState(null, "", `#/analyst?q=${encodeURIComponent(question)}`);
    } catch (e) {
      fail(e);
    }
  }
  const form = h(
    "form",
    { class: "controls", id: "analyst-form", onsubmit: (e) => { e.preventDefault(); ask(input.value, Boolean(previousPlan)); } },
    input,
    h("button", { type: "submit", class: "button" }, "Ask"),
    h("button", { type: "button", class: "button", onclick: () => { previousPlan = null; input.value = ""; out.replaceChildren(); go("analyst", {}, null, true); } }, "New question"),
    h("button", { type: "button", class: "button", id: "analyst-brief-button", onclick: () => briefPanel().then((p) => out.replaceChildren(p)).catch(fail) }, "Executive brief"),
  );
  const onboarding = suggestions.filter((s) => s.onboarding).slice(0, 8);
  const panel = h(
    "div",
    {},
    h("h1", {}, "Analyst"),
    h("p", { class: "hint" }, "Answers come from the same guarded figures as the dashboard, computed here with no network: each shows its figures, the SQL that computes them and a link to the view. Questions about individuals are refused."),
    form,
    h("div", { class: "chips", id: "analyst-suggestions" }, ...onboarding.map((s) => h("button", { type: "button", class: "button", onclick: () => ask(s.question, false) }, s.question))),
    out,
  );
  if (params.get("q")) ask(params.get("q"), false);
  return panel;
}
