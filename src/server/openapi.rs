//! The OpenAPI 3.1 document at `/api/openapi.json`, generated from the router's own tables: every route of
//! [`API_ROUTES`] with its permission (and the roles that hold it, from the role matrix), its path parameters,
//! and its summary and query parameters from [`DOCS`]. A test checks that every route is documented.

use super::API_ROUTES;
use crate::privacy::roles::Role;
use axum::Json;
use serde_json::{Map, Value, json};

/// (method, path, summary, query parameters as (name, description)); an empty description is the parameter's
/// values from the vocabulary, `a | b | c`.
pub type Doc = (&'static str, &'static str, &'static str, &'static [(&'static str, &'static str)]);

const VIEW_FILTERS: &[(&str, &str)] = &[
    ("threshold", "high-risk threshold, 0–1 (default: the model's)"),
    ("region", "two-letter region code, e.g. CA"),
    ("creditGroup", ""),
    ("ageBand", ""),
];

/// What each route does.
pub const DOCS: &[Doc] = &[
    ("GET", "/api/v1/me", "The caller's name, role and permissions", &[]),
    (
        "GET",
        "/api/v1/vocabulary",
        "The lists filters offer: regions, credit groups, age bands, case indicators, alert statuses",
        &[],
    ),
    ("GET", "/api/v1/info", "Generation parameters, row counts and content fingerprint", &[]),
    (
        "POST",
        "/api/v1/analyst/ask",
        "Ask the offline analyst: {question, previousPlan?} → answer, clarify or refuse, with figures, table, chart URL, SQL and dashboard link; the plan is audited",
        &[],
    ),
    ("GET", "/api/v1/analyst/suggestions", "Verified questions the caller's role may ask, onboarding ones first", &[]),
    (
        "GET",
        "/api/v1/analyst/brief",
        "The executive brief, written from figures (JSON, or ?format=html)",
        &[("format", "json (default) or html")],
    ),
    (
        "GET",
        "/api/v1/analyst/chart.svg",
        "An answer's chart (SVG): its chartUrl",
        &[("plan", "the answer's plan, as JSON")],
    ),
    ("GET", "/api/v1/population/regions", "Customers per region through the k-anonymity guard", &[]),
    ("GET", "/api/v1/charts/population-by-region.svg", "Population chart (SVG)", &[]),
    (
        "GET",
        "/api/v1/executive",
        "Executive KPIs with 3- and 12-month changes, regions, credit groups, trends",
        VIEW_FILTERS,
    ),
    (
        "GET",
        "/api/v1/export/executive/{table}",
        "Download a guarded executive table: regions|credit-groups|trends, .csv or .parquet",
        VIEW_FILTERS,
    ),
    (
        "GET",
        "/api/v1/export/cases/{format}",
        "Download a page of the case list as csv or parquet (up to 200 cases)",
        &[("limit", "1–200 (default 200)"), ("offset", "cases to skip"), ("indicator", "as for /api/v1/cases")],
    ),
    ("GET", "/api/v1/charts/exposure-map.svg", "Tile-grid map of medical exposure by region (SVG)", VIEW_FILTERS),
    ("GET", "/api/v1/charts/credit-groups.svg", "Risk against volume by credit group (SVG)", VIEW_FILTERS),
    ("GET", "/api/v1/charts/trends.svg", "Monthly trends (SVG)", VIEW_FILTERS),
    ("GET", "/api/v1/charts/model/roc.svg", "The model's ROC curve (SVG)", &[]),
    ("GET", "/api/v1/charts/model/ks.svg", "The model's KS plot (SVG)", &[]),
    ("GET", "/api/v1/charts/model/calibration.svg", "The model's reliability diagram (SVG)", &[]),
    (
        "GET",
        "/api/v1/cases",
        "Highest-risk cases by masked ID with their top reasons",
        &[
            ("limit", "1–200 (default 25)"),
            ("offset", "cases to skip"),
            ("threshold", "high-risk threshold, 0–1"),
            ("region", "two-letter region code"),
            ("creditGroup", "credit group"),
            ("ageBand", "age band"),
            ("indicator", ""),
        ],
    ),
    (
        "GET",
        "/api/v1/cases/{maskedId}",
        "A case: indicators, probability history, contributions, review flags",
        &[("threshold", "0–1")],
    ),
    (
        "POST",
        "/api/v1/cases/{maskedId}/what-if",
        "Rescore a case: {medicalCostPct, incomePct, unemployed} → old and new probability",
        &[],
    ),
    (
        "POST",
        "/api/v1/cases/{maskedId}/flag",
        "Flag a case for review: {reason}; audited; the first flag opens its hand-off signal (SH-C-…)",
        &[],
    ),
    ("GET", "/api/v1/cases/flagged", "Flagged cases with their hand-off workflow and SLA clocks", &[]),
    ("POST", "/api/v1/cases/{maskedId}/acknowledge", "Own a flagged case: {}; audited, in the outbox", &[]),
    (
        "POST",
        "/api/v1/cases/{maskedId}/handoff",
        "Hand a flagged case off to the CRM: {crmId?}; audited, in the outbox",
        &[],
    ),
    (
        "POST",
        "/api/v1/cases/{maskedId}/close",
        "Close a flagged case: {reason: actioned|referred|no_action|duplicate|not_applicable}; audited",
        &[],
    ),
    ("GET", "/api/v1/model", "The model report: evaluation, coefficients, fairness, drift", &[]),
    ("GET", "/api/v1/chaos/scenarios", "The preset stress scenarios and shapes", &[]),
    (
        "POST",
        "/api/v1/chaos/runs",
        "Run a scenario on a copy of the population: {scenario, shape?}; stored, returned",
        &[],
    ),
    ("GET", "/api/v1/chaos/runs", "Stored chaos runs, newest first", &[]),
    (
        "GET",
        "/api/v1/chaos/runs/{runId}",
        "A stored run: baseline, scenario at the horizon, peak, months, regions",
        &[],
    ),
    ("GET", "/api/v1/charts/chaos/{runId}.svg", "A run's expected distress per month against the baseline (SVG)", &[]),
    ("GET", "/api/v1/drills", "The preset drills, this data dir's drill runs (newest first) and the live one", &[]),
    (
        "POST",
        "/api/v1/drills",
        "Start a drill: { drill: preset name, daysPerMinute?: speed }; one at a time per data dir (409 otherwise)",
        &[],
    ),
    ("GET", "/api/v1/drills/live", "The live (or last) drill: state, items, actions, clock", &[]),
    (
        "GET",
        "/api/v1/drills/live/events",
        "Server-sent events: a snapshot, then every drill log line in order (id = its sequence number)",
        &[],
    ),
    ("GET", "/api/v1/drills/{runId}", "A drill run's state (live, or folded from its log)", &[]),
    (
        "POST",
        "/api/v1/drills/{runId}/actions",
        "A trainee action { kind: flag|acknowledge|escalate|handoff, target, note }: cases need case lists, alerts the DV service",
        &[],
    ),
    ("POST", "/api/v1/drills/{runId}/pause", "Pause the drill's clock", &[]),
    ("POST", "/api/v1/drills/{runId}/resume", "Resume the drill's clock", &[]),
    ("POST", "/api/v1/drills/{runId}/stop", "Stop the drill; its debrief is then ready", &[]),
    ("GET", "/api/v1/drills/{runId}/report", "The debrief of an ended drill (JSON)", &[]),
    (
        "GET",
        "/api/v1/drills/{runId}/report.html",
        "The debrief of an ended drill (self-contained HTML with charts)",
        &[],
    ),
    ("GET", "/api/v1/dv/overview", "Synthetic survivors' assessments by level and the highest scores", &[]),
    ("POST", "/api/v1/screens/lap", "LAP Lethality Screen", &[]),
    ("POST", "/api/v1/screens/dash", "DASH/MARAC referral screen", &[]),
    ("POST", "/api/v1/survivors", "Create a DV survivor (PII sealed with age)", &[]),
    ("POST", "/api/v1/survivors/{userId}/incidents", "Add an incident (narrative sealed, never analysed)", &[]),
    ("GET", "/api/v1/alerts", "The crisis-alert queue", &[("status", "")]),
    ("POST", "/api/v1/alerts/{alertId}/acknowledge", "Acknowledge an alert (its owner): {note?}; audited", &[]),
    ("POST", "/api/v1/alerts/{alertId}/handoff", "Hand an alert off to the CRM: {crmId?}; audited, in the outbox", &[]),
    (
        "POST",
        "/api/v1/alerts/{alertId}/close",
        "Close an alert: {note, reason: actioned|referred|no_action|duplicate|not_applicable}; audited",
        &[],
    ),
    (
        "GET",
        "/api/v1/handoff/outbox",
        "The hand-off outbox: events in order, with every signal's workflow",
        &[
            ("after", "events after this event number (default 0)"),
            ("limit", "at most this many, 0–1000 (default 200)"),
        ],
    ),
    (
        "GET",
        "/api/v1/handoff/deliveries",
        "Webhook deliveries (newest 500) and destinations",
        &[("status", "pending | delivered | dead")],
    ),
    (
        "POST",
        "/api/v1/handoff/deliveries/{id}/replay",
        "Send a delivery (a dead letter) again under the same webhook-id; enables its destination; audited",
        &[],
    ),
    ("POST", "/api/v1/risk-assessment/create", "Assess a survivor and store it: {userId, asOf?}", &[]),
    ("GET", "/api/v1/risk-assessment/{userId}", "A survivor's latest stored assessment", &[]),
    (
        "POST",
        "/services/apexrest/safehaven/v1/risk-assessment/create",
        "The mobile client's create, under the source document's prefix",
        &[],
    ),
    (
        "GET",
        "/services/apexrest/safehaven/v1/risk-assessment/{userId}",
        "The mobile client's latest, under the source document's prefix",
        &[],
    ),
];

/// The values a query parameter takes, where it names one of the vocabulary's lists.
fn values_of(parameter: &str) -> Option<Vec<&'static str>> {
    let vocabulary = super::vocabulary::vocabulary();
    match parameter {
        "region" => Some(vocabulary.regions.iter().map(|r| r.code).collect()),
        "creditGroup" => Some(vocabulary.credit_groups.to_vec()),
        "ageBand" => Some(vocabulary.age_bands.to_vec()),
        "indicator" => Some(vocabulary.indicators),
        "status" => Some(vocabulary.alert_statuses.to_vec()),
        _ => None,
    }
}

fn parameters(path: &str, query: &[(&str, &str)]) -> Vec<Value> {
    let path_params = path
        .split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }));
    let query_params = query.iter().map(|(name, description)| {
        let values = values_of(name);
        let listed = values.as_ref().map(|v| v.join(" | ")).unwrap_or_default();
        let description = if description.is_empty() { listed.as_str() } else { description };
        let schema = match &values {
            Some(values) => json!({ "type": "string", "enum": values }),
            None => json!({ "type": "string" }),
        };
        json!({ "name": name, "in": "query", "required": false, "description": description, "schema": schema })
    });
    path_params.chain(query_params).collect()
}

/// The document.
pub fn document() -> Value {
    let error = json!({ "$ref": "#/components/responses/Error" });
    let mut paths: Map<String, Value> = Map::new();
    for (method, path, permission) in API_ROUTES {
        let (summary, query) = DOCS
            .iter()
            .find(|(m, p, _, _)| m == method && p == path)
            .map_or(("", &[][..]), |(_, _, summary, query)| (*summary, *query));
        let roles: Vec<&str> =
            Role::ALL.iter().filter(|r| permission.is_none_or(|p| r.may(p))).map(|r| r.name()).collect();
        let mut responses = json!({
            "200": { "description": "success" },
            "401": error, "403": error, "404": error, "422": error, "503": error,
        });
        if super::release::RELEASED_ROUTES.contains(path) {
            responses["429"] = json!({ "$ref": "#/components/responses/BudgetSpent" });
        }
        if *method == "POST" {
            responses["201"] = json!({ "description": "created" });
            responses["400"] = error.clone();
            responses["409"] = error.clone();
            responses["413"] = error.clone();
            responses["415"] = error.clone();
        }
        let mut operation = json!({
            "summary": summary,
            "parameters": parameters(path, query),
            "security": [{ "bearer": [] }],
            "x-permission": permission.map(|p| p.describe()),
            "x-roles": roles,
            "responses": responses,
        });
        if *method == "POST" {
            operation["requestBody"] =
                json!({ "required": true, "content": { "application/json": { "schema": { "type": "object" } } } });
        }
        let entry = paths.entry(path.to_string()).or_insert_with(|| json!({}));
        entry[method.to_lowercase()] = operation;
    }
    for (path, summary) in [("/healthz", "Liveness (no token)"), ("/metrics", "Prometheus metrics (no token)")] {
        paths.insert(path.into(), json!({ "get": { "summary": summary, "security": [], "responses": { "200": { "description": "success" } } } }));
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "SafeHaven",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Offline risk-intelligence appliance. Every /api route needs `Authorization: Bearer <token>`; x-roles lists the roles that may call it. Aggregates pass the k-anonymity guard (suppressed counts are null with suppressed: true). When the installation turns differential privacy on, aggregate views carry noise, say so in a `dp` object (mechanism, epsilon, 95 % half-widths), and are charged to the caller's daily budget (GET /api/v1/me, `privacy`).",
        },
        "paths": paths,
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "responses": {
                "Error": {
                    "description": "an error: { error: { code, message } } (the mobile routes: { success: false, errorMessage })",
                    "content": { "application/json": { "schema": {
                        "type": "object",
                        "properties": { "error": { "type": "object", "properties": {
                            "code": { "type": "string" }, "message": { "type": "string" } } } }
                    } } }
                },
                "BudgetSpent": {
                    "description": "the caller's differential-privacy budget for today is spent (only when the installation turns differential privacy on): error code budget_spent; Retry-After gives the seconds until it refills at 00:00 UTC. Views already released today answer as before.",
                    "headers": { "Retry-After": { "schema": { "type": "integer" }, "description": "seconds until the budget refills" } },
                    "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } }
                }
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "properties": { "error": { "type": "object", "properties": {
                        "code": { "type": "string" }, "message": { "type": "string" } } } }
                }
            }
        }
    })
}

/// `GET /api/openapi.json`
pub async fn openapi() -> Json<Value> {
    Json(document())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog;

    #[test]
    fn every_route_is_documented_and_every_doc_is_a_route() {
        for (method, path, _) in API_ROUTES {
            assert!(DOCS.iter().any(|(m, p, _, _)| m == method && p == path), "{method} {path} has no DOCS entry");
        }
        for (method, path, _, _) in DOCS {
            assert!(API_ROUTES.iter().any(|(m, p, _)| m == method && p == path), "{method} {path} is not a route");
        }
    }

    #[test]
    fn the_document_lists_roles_and_path_parameters() {
        let doc = document();
        let case = &doc["paths"]["/api/v1/cases/{maskedId}"]["get"];
        assert_eq!(case["x-roles"], json!(["investigator", "admin"]));
        assert_eq!(case["parameters"][0]["name"], "maskedId");
        assert_eq!(doc["paths"]["/healthz"]["get"]["security"], json!([]));
    }

    #[test]
    fn vocabulary_parameters_list_their_values_from_the_catalog() {
        let doc = document();
        let params = doc["paths"]["/api/v1/cases"]["get"]["parameters"].as_array().unwrap();
        let enum_of = |name: &str| params.iter().find(|p| p["name"] == name).unwrap()["schema"]["enum"].clone();
        assert_eq!(enum_of("creditGroup"), json!(catalog::CREDIT_GROUP_NAMES));
        assert_eq!(enum_of("ageBand"), json!(catalog::AGE_BANDS));
        assert_eq!(enum_of("region").as_array().unwrap().len(), 51);
        assert_eq!(enum_of("indicator")[0], "unemployed");
    }
}
