//! Bank customers, insurer members and their medical and payment history, and the true distress probability.

use super::identity::{self, Identity, Pii};
use super::{Chunk, HISTORY_MONTHS, INSURER_OVERLAP, Params, cents, epoch_days, micro, pick, sigmoid};
use crate::catalog::regions::{self, REGIONS};
use crate::catalog::{AGE_BANDS, Table, credit_group_of};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use std::ops::Range;
use std::sync::LazyLock;

const AGE_CUMULATIVE: [f64; 6] = [0.12, 0.30, 0.47, 0.63, 0.80, 1.0];
const AGE_INCOME: [f64; 6] = [0.55, 0.90, 1.10, 1.20, 1.10, 0.80];
const AGE_HEALTH: [f64; 6] = [-0.6, -0.4, -0.1, 0.2, 0.5, 0.8];

const PLANS: [(&str, f64); 3] = [("hmo", 0.12), ("ppo", 0.20), ("hdhp", 0.35)];
const PLAN_CUMULATIVE: [f64; 3] = [0.35, 0.75, 1.0];

/// Condition, base prevalence among adults.
const CONDITIONS: [(&str, f64); 8] = [
    ("hypertension", 0.22),
    ("diabetes", 0.10),
    ("asthma", 0.08),
    ("depression", 0.09),
    ("copd", 0.04),
    ("heart_disease", 0.05),
    ("chronic_kidney_disease", 0.03),
    ("cancer", 0.02),
];

/// Claim category, share of claims, median cost in dollars.
const CATEGORIES: [(&str, f64, f64); 6] = [
    ("primary_care", 0.40, 180.0),
    ("pharmacy", 0.25, 120.0),
    ("specialist", 0.15, 350.0),
    ("imaging", 0.08, 600.0),
    ("emergency", 0.08, 1800.0),
    ("inpatient", 0.04, 14000.0),
];

static REGION_CUMULATIVE: LazyLock<[f64; 51]> = LazyLock::new(regions::cumulative_weights);
static CATEGORY_CUMULATIVE: LazyLock<Vec<f64>> = LazyLock::new(|| {
    let mut acc = 0.0;
    CATEGORIES
        .iter()
        .map(|(_, share, _)| {
            acc += share;
            acc
        })
        .collect()
});

columns!(Customers => Table::BankCustomers, {
    person_key: I64, region: Str, age_band: Str, employment: Str, income: F64, debt: F64,
    credit_score: I16, credit_group: Str, loan_amount: F64,
});
columns!(Events => Table::BankEvents, {
    event_id: I64, person_key: I64, event_date: Date, kind: Str, amount: F64,
});
columns!(Outcomes => Table::BankOutcomes, { person_key: I64, distress_12m: Bool });
columns!(Members => Table::InsurerMembers, {
    person_key: I64, region: Str, age_band: Str, plan: Str, enrolled_on: Date,
});
columns!(Conditions => Table::InsurerConditions, {
    condition_id: I64, person_key: I64, condition: Str, diagnosed_on: Date,
});
columns!(Claims => Table::InsurerClaims, {
    claim_id: I64, person_key: I64, service_date: Date, region: Str, category: Str, billed_amount: F64,
    medical_cost: F64, out_of_pocket: F64, denied: Bool,
});
columns!(Truth => Table::TruthCustomers, {
    person_key: I64, fragility: F64, health: F64, deteriorating: Bool, medical_burden_12m: F64,
    p_distress_12m: F64,
});

#[derive(Default)]
struct Out {
    customers: Customers,
    events: Events,
    outcomes: Outcomes,
    members: Members,
    conditions: Conditions,
    claims: Claims,
    truth: Truth,
    identities: Vec<Identity>,
    last_region: &'static str,
}

/// Generates people `range` (0-based positions; person key = position + 1) from chunk stream `index`.
pub fn generate(params: &Params, index: u64, range: Range<u64>) -> Chunk {
    let mut rng = super::rng::stream(params.seed, "people", index);
    // Identities draw from their own stream, so the tables do not depend on them.
    let mut identity_rng = super::rng::stream(params.seed, "identity", index);
    let mut out = Out::default();
    for position in range {
        person(&mut rng, position + 1, position < params.customers, &mut out);
        let region = out.last_region;
        out.identities.push(identity::identity(&mut identity_rng, position as i64 + 1, region));
    }
    let batches = vec![
        out.customers.into_batch(),
        out.events.into_batch(),
        out.outcomes.into_batch(),
        out.members.into_batch(),
        out.conditions.into_batch(),
        out.claims.into_batch(),
        out.truth.into_batch(),
    ];
    Chunk { batches, pii: Pii::People(out.identities) }
}

fn normal(rng: &mut ChaCha8Rng) -> f64 {
    StandardNormal.sample(rng)
}

fn employment(rng: &mut ChaCha8Rng, age: usize) -> &'static str {
    let u: f64 = rng.random();
    match age {
        0 => match u {
            u if u < 0.30 => "student",
            u if u < 0.85 => "employed",
            _ => "unemployed",
        },
        5 => match u {
            u if u < 0.75 => "retired",
            u if u < 0.95 => "employed",
            _ => "unemployed",
        },
        _ => match u {
            u if u < 0.80 => "employed",
            u if u < 0.92 => "self_employed",
            u if u < 0.98 => "unemployed",
            _ => "retired",
        },
    }
}

fn person(rng: &mut ChaCha8Rng, key: u64, is_customer: bool, out: &mut Out) {
    let key = key as i64;
    let region = &REGIONS[pick(&*REGION_CUMULATIVE, rng.random())];
    out.last_region = region.code;
    let age = pick(&AGE_CUMULATIVE, rng.random());
    let employment = employment(rng, age);
    let unemployed = f64::from(u8::from(employment == "unemployed"));
    let fragility = normal(rng);
    let health = normal(rng) + AGE_HEALTH[age];
    let deteriorating = fragility > 0.5 && rng.random_bool(0.25);

    let employment_income = match employment {
        "unemployed" => 0.35,
        "retired" => 0.60,
        "student" => 0.30,
        "self_employed" => 1.05,
        _ => 1.0,
    };
    let income =
        (56_000.0 * region.income * AGE_INCOME[age] * employment_income * (0.5 * normal(rng) - 0.2 * fragility).exp()
            / 10.0)
            .round()
            .max(600.0)
            * 10.0;
    let dti = (0.28 * (0.45 * fragility + 0.35 * normal(rng)).exp()).clamp(0.0, 3.0);
    let debt = cents(income * dti);
    let score =
        (705.0 - 55.0 * fragility - 25.0 * (dti / 0.28).ln() + 30.0 * normal(rng)).round().clamp(300.0, 850.0) as i16;
    let has_loan = rng.random_bool(0.85);
    let loan_amount = if has_loan { (debt * rng.random_range(0.4..1.0) / 100.0).round() * 100.0 } else { 0.0 };

    let is_member = !is_customer || rng.random_bool(INSURER_OVERLAP);
    let plan_index = pick(&PLAN_CUMULATIVE, rng.random());
    let (plan, plan_share) = PLANS[plan_index];
    // Outside the insurer, people are covered elsewhere (or not at all): their costs are real but unrecorded.
    let share = if is_member { plan_share } else { 0.10 };

    // Chronic conditions.
    let mut condition_count = 0u32;
    for (c, (name, prevalence)) in CONDITIONS.iter().enumerate() {
        let logit = (prevalence / (1.0 - prevalence)).ln() + 0.6 * health;
        if rng.random_bool(sigmoid(logit)) {
            condition_count += 1;
            let diagnosed = super::month_start(0) - chrono::Days::new(rng.random_range(0..3650));
            if is_member {
                out.conditions.condition_id.push(key * 16 + c as i64);
                out.conditions.person_key.push(key);
                out.conditions.condition.push(*name);
                out.conditions.diagnosed_on.push(epoch_days(diagnosed));
            }
        }
    }

    // Month by month: medical costs for everyone, recorded claims for members, payment events for customers.
    let claim_probability = (0.07 * (0.4 * f64::from(condition_count) + 0.35 * health).exp()).min(0.85);
    let monthly_income = income / 12.0;
    let installment = cents(loan_amount / 60.0);
    let mut out_of_pocket_by_month = [0.0f64; HISTORY_MONTHS as usize];
    let mut claim_seq = 0i64;
    let mut missed_12m = 0u32;
    let mut event_seq = 0i64;
    for m in 0..HISTORY_MONTHS {
        let month = super::month_start(m);
        let days_in_month = super::month_start(m + 1).signed_duration_since(month).num_days() as u64;
        while rng.random_bool(claim_probability) {
            let (category, _, median) = CATEGORIES[pick(&CATEGORY_CUMULATIVE, rng.random())];
            let inflation = (1.0 + region.medical_trend).powf(f64::from(m) / 12.0);
            let cost = cents(
                median
                    * region.medical
                    * inflation
                    * (1.0 + 0.15 * f64::from(condition_count))
                    * (0.7 * normal(rng)).exp(),
            );
            let denial = 0.07
                + if plan == "hdhp" { 0.03 } else { 0.0 }
                + if matches!(category, "emergency" | "inpatient") { 0.02 } else { 0.0 };
            let denied = rng.random_bool(denial);
            let paid_by_patient = if denied { cost } else { cents(cost * share) };
            let billed = cents(cost * rng.random_range(1.4..2.6));
            let day = rng.random_range(0..days_in_month);
            out_of_pocket_by_month[m as usize] += paid_by_patient;
            if is_member {
                out.claims.claim_id.push(key * 1024 + claim_seq);
                out.claims.person_key.push(key);
                out.claims.service_date.push(epoch_days(month + chrono::Days::new(day)));
                out.claims.region.push(region.code);
                out.claims.category.push(category);
                out.claims.billed_amount.push(billed);
                out.claims.medical_cost.push(cost);
                out.claims.out_of_pocket.push(paid_by_patient);
                out.claims.denied.push(denied);
            }
            claim_seq += 1;
            if claim_seq >= 1024 {
                break;
            }
        }
        if !is_customer {
            continue;
        }
        let recent: f64 = out_of_pocket_by_month[(m.saturating_sub(2) as usize)..(m as usize)].iter().sum();
        let shock = (recent / monthly_income.max(1.0)).min(2.0);
        let trend = if deteriorating { 0.15 * f64::from(m.saturating_sub(12)) } else { 0.0 };
        let missed = -5.0 + 1.1 * fragility + 1.0 * unemployed + 0.6 * (dti / 0.28).ln() + 1.2 * shock + trend;
        if has_loan && rng.random_bool(sigmoid(missed)) {
            let day = rng.random_range(0..days_in_month);
            out.events.event_id.push(key * 64 + event_seq);
            out.events.person_key.push(key);
            out.events.event_date.push(epoch_days(month + chrono::Days::new(day)));
            out.events.kind.push("missed_payment");
            if m >= 12 {
                missed_12m += 1;
            }
            out.events.amount.push(installment);
            event_seq += 1;
        }
        let overdraft = -3.6 + 0.8 * fragility - 0.5 * (income / 56_000.0).ln() + 0.8 * shock + 0.5 * trend;
        if rng.random_bool(sigmoid(overdraft)) {
            let day = rng.random_range(0..days_in_month);
            out.events.event_id.push(key * 64 + event_seq);
            out.events.person_key.push(key);
            out.events.event_date.push(epoch_days(month + chrono::Days::new(day)));
            out.events.kind.push("overdraft");
            out.events.amount.push(cents(150.0 * (0.6 * normal(rng)).exp()));
            event_seq += 1;
        }
    }

    if is_member {
        let enrolled = super::month_start(0) - chrono::Days::new(rng.random_range(0..2920));
        out.members.person_key.push(key);
        out.members.region.push(region.code);
        out.members.age_band.push(AGE_BANDS[age]);
        out.members.plan.push(plan);
        out.members.enrolled_on.push(epoch_days(enrolled));
    }
    if !is_customer {
        return;
    }

    let burden = out_of_pocket_by_month[12..].iter().sum::<f64>() / income;
    let z = -3.45
        + 0.45 * fragility
        + 0.6 * unemployed
        + 0.5 * (dti / 0.28).ln()
        + 3.5 * burden.min(0.6)
        + if deteriorating { 0.6 } else { 0.0 }
        + 0.3 * f64::from(missed_12m.min(6))
        - 0.3 * (income / 56_000.0).ln();
    let p = micro(sigmoid(z));
    let distress = rng.random::<f64>() < p;

    out.customers.person_key.push(key);
    out.customers.region.push(region.code);
    out.customers.age_band.push(AGE_BANDS[age]);
    out.customers.employment.push(employment);
    out.customers.income.push(income);
    out.customers.debt.push(debt);
    out.customers.credit_score.push(score);
    out.customers.credit_group.push(credit_group_of(score));
    out.customers.loan_amount.push(loan_amount);
    out.outcomes.person_key.push(key);
    out.outcomes.distress_12m.push(distress);
    out.truth.person_key.push(key);
    out.truth.fragility.push(micro(fragility));
    out.truth.health.push(micro(health));
    out.truth.deteriorating.push(deteriorating);
    out.truth.medical_burden_12m.push(micro(burden));
    out.truth.p_distress_12m.push(p);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::{Batch, Column};

    fn column<'a>(batches: &'a [Batch], table: Table, name: &str) -> &'a Column {
        let batch = batches.iter().find(|b| b.table == table).expect("table present");
        &batch.columns.iter().find(|(n, _)| *n == name).expect("column present").1
    }

    #[test]
    fn population_is_plausible() {
        let params = Params { customers: 4000, seed: 42 };
        let batches = generate(&params, 0, 0..4000).batches;
        let Column::F64(p) = column(&batches, Table::TruthCustomers, "p_distress_12m") else { panic!() };
        let Column::Bool(outcome) = column(&batches, Table::BankOutcomes, "distress_12m") else { panic!() };
        let Column::I64(members) = column(&batches, Table::InsurerMembers, "person_key") else { panic!() };
        let mean_p = p.iter().sum::<f64>() / p.len() as f64;
        let rate = outcome.iter().filter(|&&o| o).count() as f64 / outcome.len() as f64;
        assert!((0.04..0.16).contains(&mean_p), "mean true probability {mean_p}");
        assert!((rate - mean_p).abs() < 0.03, "outcome rate {rate} vs mean p {mean_p}");
        let overlap = members.len() as f64 / 4000.0;
        assert!((0.65..0.75).contains(&overlap), "insurer overlap {overlap}");
    }

    #[test]
    fn medical_burden_raises_true_risk() {
        let params = Params { customers: 4000, seed: 42 };
        let batches = generate(&params, 0, 0..4000).batches;
        let Column::F64(burden) = column(&batches, Table::TruthCustomers, "medical_burden_12m") else { panic!() };
        let Column::F64(p) = column(&batches, Table::TruthCustomers, "p_distress_12m") else { panic!() };
        let mean = |pred: &dyn Fn(f64) -> bool| {
            let values: Vec<f64> = burden.iter().zip(p).filter(|(b, _)| pred(**b)).map(|(_, p)| *p).collect();
            values.iter().sum::<f64>() / values.len() as f64
        };
        assert!(mean(&|b| b > 0.1) > 1.5 * mean(&|b| b < 0.01));
    }
}
