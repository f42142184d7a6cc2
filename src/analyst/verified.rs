//! Verified questions (`sql/analyst/verified.toml`): questions with the plan each must parse to, and paraphrases
//! that must parse to the same plan. They are the parser's regression suite, the onboarding suggestions, and
//! what a question that fails to parse is offered instead (the nearest by shared words).

use super::plan::Plan;
use super::semantic::{Semantic, permission, tokens};
use crate::privacy::roles::Role;
use serde::{Deserialize, Serialize};

pub const VERIFIED_TOML: &str = include_str!("../../sql/analyst/verified.toml");

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Verified {
    pub question: String,
    /// What the question is about (the suggestions are grouped by it).
    pub topic: String,
    /// Shown to a new user as a suggestion.
    #[serde(default)]
    pub onboarding: bool,
    pub plan: Plan,
    #[serde(default)]
    pub paraphrases: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    question: Vec<Verified>,
}

/// The verified questions, parsed once.
pub fn verified() -> &'static [Verified] {
    static LIST: std::sync::OnceLock<Vec<Verified>> = std::sync::OnceLock::new();
    LIST.get_or_init(|| {
        toml::from_str::<File>(VERIFIED_TOML).expect("sql/analyst/verified.toml parses (tidy test)").question
    })
}

impl Verified {
    /// Whether `role` may see every figure the question asks for.
    pub fn allowed(&self, role: Role) -> bool {
        let model = Semantic::embedded();
        let needs = if self.plan.metrics.is_empty() {
            vec!["aggregates".to_owned()]
        } else {
            self.plan.metrics.iter().filter_map(|m| model.metric(m)).map(|m| m.permission.clone()).collect()
        };
        needs.iter().all(|p| permission(p).is_some_and(|p| role.may(p)))
    }
}

/// The `n` verified questions sharing most words with `question` (ties in file order).
pub fn nearest(question: &str, n: usize) -> Vec<&'static Verified> {
    let words: std::collections::BTreeSet<String> = tokens(question).into_iter().filter(|w| w.len() > 2).collect();
    let mut scored: Vec<(usize, usize, &Verified)> = verified()
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let theirs: std::collections::BTreeSet<String> =
                std::iter::once(&v.question).chain(&v.paraphrases).flat_map(|q| tokens(q)).collect();
            (words.intersection(&theirs).count(), i, v)
        })
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.into_iter().take(n).map(|(_, _, v)| v).collect()
}
