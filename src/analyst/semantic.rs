//! The semantic model (`sql/analyst/semantic.toml`) as types: metrics, dimensions with closed value lists, time
//! phrases, the cues of each intent and the refusal topics; and the lexicon built from it, which the parser
//! matches questions against.

use crate::privacy::roles::Permission;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The semantic model's text, embedded in the binary.
pub const SEMANTIC_TOML: &str = include_str!("../../sql/analyst/semantic.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Semantic {
    pub version: u32,
    pub query: QueryShapes,
    pub source: BTreeMap<String, Source>,
    pub metric: Vec<Metric>,
    pub dimension: Vec<Dimension>,
    pub time: Vec<TimePhrase>,
    pub intents: BTreeMap<String, Vec<String>>,
    pub order: Order,
    pub shock: ShockWords,
    pub fillers: Vec<String>,
    pub refuse: Vec<Refusal>,
}

/// The shapes of query an answer's SQL is rendered in.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueryShapes {
    pub value: String,
    pub breakdown: String,
    pub explain: String,
}

/// Where metrics read: a `from` clause and the column of each dimension on it; sources without `from` are
/// computed in memory (the model's evaluation, chaos runs, DV assessments).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub description: String,
    pub from: Option<String>,
    #[serde(default)]
    pub columns: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Metric {
    pub name: String,
    pub label: String,
    pub synonyms: Vec<String>,
    pub unit: String,
    pub format: Format,
    pub bad: Direction,
    pub population: String,
    pub grains: Vec<Grain>,
    pub permission: String,
    pub source: String,
    pub sql: Option<String>,
    /// Whether the figure depends on the high-risk threshold (bound as `:threshold`).
    #[serde(default)]
    pub threshold: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Count,
    Percent,
    Decimal,
    Money,
    Ratio,
}

/// Which way is bad news.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Up,
    Down,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grain {
    Snapshot,
    Month,
    Horizon,
    Peak,
    Current,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dimension {
    pub name: String,
    pub label: String,
    pub synonyms: Vec<String>,
    pub values: Vec<Value>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Value {
    pub value: String,
    pub label: String,
    pub synonyms: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimePhrase {
    pub phrases: Vec<String>,
    pub at: Option<u32>,
    pub compare: Option<u32>,
    pub months: Option<u32>,
    pub window: Option<u32>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Order {
    pub descending: Vec<String>,
    pub ascending: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShockWords {
    pub medical_cost: Vec<String>,
    pub income: Vec<String>,
    pub unemployment: Vec<String>,
    pub up: Vec<String>,
    pub down: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Refusal {
    pub topic: String,
    pub words: Vec<String>,
    pub why: String,
    pub instead: String,
}

/// What a phrase of the lexicon means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Meaning {
    Metric(usize),
    /// The dimension itself ("by region").
    Dimension(usize),
    /// One of a dimension's values: (dimension, value).
    Value(usize, usize),
    Time(usize),
    Intent(String),
    Refuse(usize),
    Filler,
    /// A word of a cue list the parser reads itself (order, shock subjects and directions).
    Cue,
}

/// Every phrase of the semantic model, normalised, with what it means; the longest phrase wins.
pub struct Lexicon {
    /// Phrases (as token lists) → meanings, longest first.
    pub phrases: Vec<(Vec<String>, Meaning)>,
    /// Every single word any phrase uses: the vocabulary typos are repaired against.
    pub words: Vec<String>,
}

impl Semantic {
    /// The embedded semantic model; a malformed file is a build defect, caught by the tidy test.
    pub fn embedded() -> &'static Semantic {
        static MODEL: std::sync::OnceLock<Semantic> = std::sync::OnceLock::new();
        MODEL.get_or_init(|| Semantic::parse(SEMANTIC_TOML).expect("sql/analyst/semantic.toml parses (tidy test)"))
    }

    pub fn parse(text: &str) -> Result<Semantic, String> {
        let model: Semantic = toml::from_str(text).map_err(|e| format!("sql/analyst/semantic.toml: {e}"))?;
        model.validate()?;
        Ok(model)
    }

    pub fn metric(&self, name: &str) -> Option<&Metric> {
        self.metric.iter().find(|m| m.name == name)
    }

    pub fn dimension(&self, name: &str) -> Option<&Dimension> {
        self.dimension.iter().find(|d| d.name == name)
    }

    /// The value's label, or the value itself.
    pub fn label(&self, dimension: &str, value: &str) -> String {
        self.dimension(dimension)
            .and_then(|d| d.values.iter().find(|v| v.value == value))
            .map_or_else(|| value.to_owned(), |v| v.label.clone())
    }

    /// Checks what serde cannot: references between sections and the uniqueness of every phrase.
    fn validate(&self) -> Result<(), String> {
        let mut problems = Vec::new();
        for metric in &self.metric {
            match self.source.get(&metric.source) {
                None => problems.push(format!("metric {}: unknown source `{}`", metric.name, metric.source)),
                Some(source) if source.from.is_some() != metric.sql.is_some() => problems
                    .push(format!("metric {}: a fragment (`sql`) exactly when its source is a query", metric.name)),
                _ => {}
            }
            if permission(&metric.permission).is_none() {
                problems.push(format!("metric {}: unknown permission `{}`", metric.name, metric.permission));
            }
        }
        let mut seen: BTreeMap<Vec<String>, String> = BTreeMap::new();
        for (phrase, meaning) in self.meanings() {
            // Intent and cue words are families of their own: "top" both ranks and orders.
            if matches!(meaning, Meaning::Intent(_) | Meaning::Cue) {
                continue;
            }
            let tokens = tokens(&phrase);
            if tokens.is_empty() {
                problems.push(format!("an empty phrase ({meaning:?})"));
            } else if let Some(other) = seen.insert(tokens, format!("{meaning:?}")) {
                problems.push(format!("`{phrase}` means both {other} and {meaning:?}"));
            }
        }
        if problems.is_empty() { Ok(()) } else { Err(problems.join("; ")) }
    }

    /// Every phrase with its meaning, as written in the file.
    fn meanings(&self) -> Vec<(String, Meaning)> {
        let mut out = Vec::new();
        for (i, m) in self.metric.iter().enumerate() {
            out.extend(m.synonyms.iter().map(|s| (s.clone(), Meaning::Metric(i))));
        }
        for (d, dim) in self.dimension.iter().enumerate() {
            out.extend(dim.synonyms.iter().map(|s| (s.clone(), Meaning::Dimension(d))));
            for (v, value) in dim.values.iter().enumerate() {
                out.extend(value.synonyms.iter().map(|s| (s.clone(), Meaning::Value(d, v))));
            }
        }
        for (t, time) in self.time.iter().enumerate() {
            out.extend(time.phrases.iter().map(|s| (s.clone(), Meaning::Time(t))));
        }
        for (intent, cues) in &self.intents {
            out.extend(cues.iter().map(|s| (s.clone(), Meaning::Intent(intent.clone()))));
        }
        for (r, refusal) in self.refuse.iter().enumerate() {
            out.extend(refusal.words.iter().map(|s| (s.clone(), Meaning::Refuse(r))));
        }
        out.extend(self.fillers.iter().map(|s| (s.clone(), Meaning::Filler)));
        let cues = [
            &self.order.descending,
            &self.order.ascending,
            &self.shock.medical_cost,
            &self.shock.income,
            &self.shock.unemployment,
            &self.shock.up,
            &self.shock.down,
        ];
        out.extend(cues.into_iter().flatten().map(|s| (s.clone(), Meaning::Cue)));
        out
    }

    /// The lexicon, built once.
    pub fn lexicon(&self) -> Lexicon {
        let mut phrases: Vec<(Vec<String>, Meaning)> = Vec::new();
        for (phrase, meaning) in self.meanings() {
            let tokens = tokens(&phrase);
            // A phrase that is also an intent cue keeps its first, more specific meaning (metric, value, …); the
            // parser reads cue words from the raw tokens as well.
            if !tokens.is_empty() && !phrases.iter().any(|(t, _)| *t == tokens) {
                phrases.push((tokens, meaning));
            }
        }
        // Region codes: two capitals, matched by the parser on the raw question (see `parse`).
        phrases.sort_by_key(|p| std::cmp::Reverse(p.0.len()));
        let mut words: Vec<String> = phrases.iter().flat_map(|(t, _)| t.iter().cloned()).collect();
        words.sort();
        words.dedup();
        Lexicon { phrases, words }
    }
}

/// The role matrix's permission a metric names.
pub fn permission(name: &str) -> Option<Permission> {
    match name {
        "aggregates" => Some(Permission::Aggregates),
        "model" => Some(Permission::Model),
        "dv" => Some(Permission::DvService),
        _ => None,
    }
}

/// A phrase or question as lower-case tokens: letters, digits and the characters numbers and age bands use
/// (`-`, `+`, `.`, `%`, `'`); everything else separates.
pub fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for raw in text.split(|c: char| !(c.is_alphanumeric() || matches!(c, '-' | '+' | '.' | '%' | '\''))) {
        let word = raw.trim_matches(|c: char| matches!(c, '.' | '\'' | '-')).to_lowercase();
        if word.is_empty() {
            continue;
        }
        // "30%" is a number and a percent sign; "ohio's" is "ohio".
        if let Some(number) = word.strip_suffix('%').filter(|n| !n.is_empty()) {
            out.push(number.to_owned());
            out.push("%".to_owned());
        } else if let Some(stem) = word.strip_suffix("'s") {
            out.push(stem.to_owned());
        } else {
            out.push(word);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_model_is_valid() {
        let model = Semantic::embedded();
        assert!(model.metric.len() >= 18);
        assert!(model.lexicon().phrases.len() > 300);
    }

    #[test]
    fn a_phrase_with_two_meanings_is_refused() {
        let twice = SEMANTIC_TOML.replace(r#"fillers = ["#, r#"fillers = ["subprime", "#);
        let err = Semantic::parse(&twice).unwrap_err();
        assert!(err.contains("`subprime` means both"), "{err}");
    }

    #[test]
    fn the_value_lists_are_the_catalogs() {
        let model = Semantic::embedded();
        let values = |d: &str| -> Vec<String> {
            model.dimension(d).unwrap_or_else(|| panic!("{d}")).values.iter().map(|v| v.value.clone()).collect()
        };
        let names = |list: Vec<&str>| -> Vec<String> { list.into_iter().map(str::to_owned).collect() };
        assert_eq!(values("region"), names(crate::catalog::REGIONS.iter().map(|r| r.code).collect()));
        assert_eq!(values("credit_group"), names(crate::catalog::CREDIT_GROUP_NAMES.to_vec()));
        assert_eq!(values("age_band"), names(crate::catalog::AGE_BANDS.to_vec()));
        assert_eq!(values("indicator"), names(crate::analytics::Indicator::ALL.iter().map(|(n, _)| *n).collect()));
        assert_eq!(values("dv_level"), names(crate::dv::Level::ALL.iter().map(|l| l.name()).collect()));
        assert_eq!(values("dv_pattern"), names(crate::dv::Pattern::ALL.iter().map(|p| p.name()).collect()));
        assert_eq!(values("scenario"), names(crate::chaos::PRESETS.iter().map(|(n, _)| *n).collect()));
        assert_eq!(values("shape"), names(crate::chaos::Shape::ALL.iter().map(|(n, _)| *n).collect()));
    }

    #[test]
    fn tokens_split_numbers_and_possessives() {
        assert_eq!(tokens("Ohio's high-risk share at 30%?"), ["ohio", "high-risk", "share", "at", "30", "%"]);
        assert_eq!(tokens("65+ and 18-24"), ["65+", "and", "18-24"]);
    }
}
