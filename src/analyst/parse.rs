//! Question → plan. The question is cut into tokens, typos are repaired against the lexicon's words (and each
//! repair reported), phrases are matched longest first, and the matched slots make a typed [`Plan`]. Words that
//! match nothing are reported, never dropped silently; a question that leaves a slot open is answered with a
//! clarifying question and its options, and one about a person or outside the warehouse is refused. Nothing here
//! guesses: a word two repairs fit equally is reported, not picked.

use super::plan::{DV_DIMENSIONS, Intent, MAX_LIMIT, Order, PEOPLE_DIMENSIONS, Plan, ScenarioRef, Segment, Time};
use super::semantic::{Grain, Lexicon, Meaning, Semantic};
use crate::model::whatif::Shock;
use serde::Serialize;
use std::collections::BTreeSet;

/// A word the parser changed, and to what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Correction {
    pub from: String,
    pub to: String,
}

/// One option of a clarifying question: what it means, and the question that asks it unambiguously.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Choice {
    pub label: String,
    pub question: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Clarify {
    pub prompt: String,
    pub options: Vec<Choice>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Refused {
    pub topic: String,
    pub why: String,
    pub instead: String,
}

/// What the parser made of a question.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Answer(Plan),
    Clarify(Clarify),
    Refuse(Refused),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub outcome: Outcome,
    pub corrections: Vec<Correction>,
    /// Words that match nothing in the lexicon (and, where a repair was ambiguous, its candidates).
    pub unrecognized: Vec<String>,
    /// Whether the question changed slots of the previous plan rather than asking afresh.
    pub follow_up: bool,
}

/// What the parser needs to know of the warehouse: the months of history (`YYYY-MM`, ascending).
pub struct Calendar<'a> {
    pub months: &'a [String],
}

impl Calendar<'_> {
    /// The month `back` months before the latest one.
    pub fn back(&self, back: u32) -> Option<String> {
        let n = self.months.len();
        ((back as usize) < n).then(|| self.months[n - 1 - back as usize].clone())
    }

    pub fn latest(&self) -> Option<&str> {
        self.months.last().map(String::as_str)
    }
}

/// A matched piece of the question.
#[derive(Debug, Clone, PartialEq)]
enum Item {
    Known(Meaning),
    Number(f64),
    Percent,
    /// A month of the year (1–12), with the year when one followed it.
    MonthName(u32, Option<i32>),
    /// "N months ago".
    Ago(u32),
    /// "the last N months".
    Last(u32),
    MaskedId,
    Unknown(String),
}

const MONTHS: [(&str, u32); 23] = [
    ("january", 1),
    ("jan", 1),
    ("february", 2),
    ("feb", 2),
    ("march", 3),
    ("mar", 3),
    ("april", 4),
    ("apr", 4),
    ("june", 6),
    ("jun", 6),
    ("july", 7),
    ("jul", 7),
    ("august", 8),
    ("aug", 8),
    ("september", 9),
    ("sep", 9),
    ("sept", 9),
    ("october", 10),
    ("oct", 10),
    ("november", 11),
    ("nov", 11),
    ("december", 12),
    ("dec", 12),
];

/// Longest input the parser reads (the surfaces refuse longer questions with a 422 before this).
pub const MAX_QUESTION: usize = 1_000;

/// The lexicon of the embedded semantic model, built once.
pub fn lexicon() -> &'static Lexicon {
    static LEXICON: std::sync::OnceLock<Lexicon> = std::sync::OnceLock::new();
    LEXICON.get_or_init(|| Semantic::embedded().lexicon())
}

/// Optimal-string-alignment distance (a transposition counts once), bounded: `None` beyond `max`.
fn distance(a: &str, b: &str, max: usize) -> Option<usize> {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    Some(d[a.len()][b.len()]).filter(|&v| v <= max)
}

fn is_number(token: &str) -> Option<f64> {
    let t = token.strip_prefix('+').unwrap_or(token);
    if t.chars().any(|c| c.is_ascii_digit()) && t.chars().all(|c| c.is_ascii_digit() || c == '.' || c == '-') {
        t.parse::<f64>().ok().filter(|v| v.is_finite())
    } else {
        None
    }
}

fn number_word(token: &str) -> Option<f64> {
    let words = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"];
    let tens = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];
    words
        .iter()
        .position(|w| *w == token)
        .map(|i| (i + 1) as f64)
        .or_else(|| tens.iter().position(|w| *w == token).map(|i| (20 + 10 * i) as f64))
}

fn is_masked_id(token: &str) -> bool {
    let parts: Vec<&str> = token.split('-').collect();
    parts.len() == 3
        && parts[0] == "sh"
        && parts[1..].iter().all(|p| p.len() == 4 && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// The question's tokens with their original spelling (region codes are matched in capitals only).
fn cased_tokens(question: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for raw in question.split(|c: char| !(c.is_alphanumeric() || matches!(c, '-' | '+' | '.' | '%' | '\''))) {
        let original = raw.trim_matches(|c: char| matches!(c, '.' | '\'' | '-'));
        for lower in super::semantic::tokens(original) {
            out.push((lower, original.to_owned()));
        }
    }
    out
}

/// Repairs words the lexicon does not know: the one word of the vocabulary nearest it (one edit for short words,
/// two for long ones). Words two candidates fit equally are left as they are, with the candidates noted.
fn repair(tokens: &mut [(String, String)], lexicon: &Lexicon) -> (Vec<Correction>, Vec<String>) {
    let (mut corrections, mut ambiguous) = (Vec::new(), Vec::new());
    let known = |w: &str| {
        lexicon.words.binary_search_by(|x| x.as_str().cmp(w)).is_ok()
            || is_number(w).is_some()
            || number_word(w).is_some()
            || MONTHS.iter().any(|(m, _)| *m == w)
            || w == "%"
            || w == "may"
            || is_masked_id(w)
    };
    for (token, original) in tokens.iter_mut() {
        let is_code = original.len() == 2 && original.chars().all(|c| c.is_ascii_uppercase());
        if known(token) || is_code || token.chars().count() < 4 || token.chars().any(|c| c.is_ascii_digit()) {
            continue;
        }
        let max = if token.chars().count() >= 7 { 2 } else { 1 };
        let months: Vec<String> = MONTHS.iter().filter(|(m, _)| m.len() > 3).map(|(m, _)| (*m).to_owned()).collect();
        let mut best: Vec<(usize, &String)> =
            lexicon.words.iter().chain(&months).filter_map(|w| distance(token, w, max).map(|d| (d, w))).collect();
        best.sort();
        let Some(&(nearest, _)) = best.first() else { continue };
        let tied: Vec<&String> = best.iter().filter(|(d, _)| *d == nearest).map(|(_, w)| *w).collect();
        if tied.len() == 1 {
            corrections.push(Correction { from: token.clone(), to: tied[0].clone() });
            *token = tied[0].clone();
        } else {
            let names: Vec<&str> = tied.iter().take(4).map(|s| s.as_str()).collect();
            ambiguous.push(format!("{token} (did you mean {}?)", names.join(" or ")));
        }
    }
    (corrections, ambiguous)
}

/// The matched items with the token span each covers.
fn items(tokens: &[(String, String)], lexicon: &Lexicon, model: &Semantic) -> Vec<(Item, std::ops::Range<usize>)> {
    let lower: Vec<&str> = tokens.iter().map(|(l, _)| l.as_str()).collect();
    let region = model.dimension.iter().position(|d| d.name == "region").expect("a region dimension");
    // In a question typed in capitals, "IN" and "OR" are words; elsewhere a code that is also a word ("OR", "ME",
    // "KS" the statistic) is a region only after a word that introduces a place ("in OR", "Texas and OH").
    let shouting = tokens
        .iter()
        .filter(|(_, o)| o.chars().any(char::is_alphabetic))
        .all(|(_, o)| !o.chars().any(char::is_lowercase));
    const WORD_CODES: [&str; 22] = [
        "in", "or", "me", "hi", "ok", "oh", "id", "de", "pa", "ma", "la", "co", "al", "ga", "mo", "ms", "ne", "wa",
        "wi", "nd", "ks", "mt",
    ];
    let code_here = |i: usize| {
        let word =
            WORD_CODES.contains(&lower[i]) || lexicon.phrases.iter().any(|(p, _)| p.len() == 1 && p[0] == lower[i]);
        !word
            || i > 0
                && ["in", "for", "of", "vs", "versus", "and", "than", "from", "to", "compare", "between", "across"]
                    .contains(&lower[i - 1])
    };
    let mut out = Vec::new();
    let mut i = 0;
    while i < lower.len() {
        let (token, original) = (&tokens[i].0, &tokens[i].1);
        // "6 months ago", "the last 6 months": numbers of months the phrase list cannot spell out.
        let n = is_number(token).or_else(|| number_word(token));
        if let Some(n) = n.filter(|n| n.fract() == 0.0 && *n >= 0.0) {
            let unit = lower.get(i + 1).is_some_and(|w| matches!(*w, "month" | "months"));
            if unit && lower.get(i + 2) == Some(&"ago") {
                out.push((Item::Ago(n as u32), i..i + 3));
                i += 3;
                continue;
            }
            if unit && i > 0 && matches!(lower[i - 1], "last" | "past") {
                out.push((Item::Last(n as u32), i - 1..i + 2));
                i += 2;
                continue;
            }
        }
        // Phrases of two or more words first ("KS statistic" is not Kansas), then region codes, then single words.
        let phrase_at = |min: usize| {
            lexicon
                .phrases
                .iter()
                .find(|(p, _)| p.len() >= min && lower.len() >= i + p.len() && lower[i..i + p.len()] == p[..])
        };
        if let Some((phrase, meaning)) = phrase_at(2) {
            out.push((Item::Known(meaning.clone()), i..i + phrase.len()));
            i += phrase.len();
            continue;
        }
        if original.len() == 2 && original.chars().all(|c| c.is_ascii_uppercase()) && !shouting && code_here(i) {
            let values = &model.dimension[region].values;
            if let Some(v) = values.iter().position(|v| v.value == *original) {
                out.push((Item::Known(Meaning::Value(region, v)), i..i + 1));
                i += 1;
                continue;
            }
        }
        if let Some((phrase, meaning)) = phrase_at(1) {
            out.push((Item::Known(meaning.clone()), i..i + phrase.len()));
            i += phrase.len();
            continue;
        }
        let month = MONTHS.iter().find(|(m, _)| *m == token).map(|(_, n)| *n).or_else(|| {
            // "may" is a month only before a year.
            (token == "may" && lower.get(i + 1).and_then(|y| is_number(y)).is_some_and(|y| y >= 1900.0)).then_some(5)
        });
        if let Some(m) = month {
            let year = lower.get(i + 1).and_then(|y| is_number(y)).filter(|y| (1900.0..3000.0).contains(y));
            let span = if year.is_some() { i..i + 2 } else { i..i + 1 };
            out.push((Item::MonthName(m, year.map(|y| y as i32)), span.clone()));
            i = span.end;
            continue;
        }
        let year_month = (token.len() == 7 && token.as_bytes()[4] == b'-')
            .then(|| (token[..4].parse::<i32>().ok(), token[5..].parse::<u32>().ok()))
            .and_then(|(y, m)| Some((y?, m.filter(|m| (1..=12).contains(m))?)));
        let item = if let Some((y, m)) = year_month {
            // "2026-03" is a month.
            Item::MonthName(m, Some(y))
        } else if let Some(n) = is_number(token).or_else(|| number_word(token)) {
            Item::Number(n)
        } else if token == "%" {
            Item::Percent
        } else if is_masked_id(token) {
            Item::MaskedId
        } else if token == "may" {
            Item::Known(Meaning::Filler)
        } else {
            Item::Unknown(token.clone())
        };
        out.push((item, i..i + 1));
        i += 1;
    }
    out
}

/// Parses `question`, as a follow-up of `previous` where it only changes some of its slots.
pub fn parse(question: &str, previous: Option<&Plan>, calendar: &Calendar<'_>) -> Parsed {
    let model = Semantic::embedded();
    let lexicon = lexicon();
    let mut tokens = cased_tokens(question);
    let (corrections, ambiguous) = repair(&mut tokens, lexicon);
    let items = items(&tokens, lexicon, model);
    let lower: Vec<String> = tokens.iter().map(|(l, _)| l.clone()).collect();
    let mut unrecognized: Vec<String> = ambiguous;
    for (item, _) in &items {
        if let Item::Unknown(w) = item
            && !unrecognized.iter().any(|u| u.starts_with(w.as_str()))
        {
            unrecognized.push(w.clone());
        }
    }
    let done = |outcome: Outcome, follow_up: bool| Parsed {
        outcome,
        corrections: corrections.clone(),
        unrecognized: unrecognized.clone(),
        follow_up,
    };
    // Refusals first: a person, a masked ID, or a refused topic.
    let individuals = model.refuse.iter().position(|r| r.topic == "individuals").expect("an individuals topic");
    let refusal = items.iter().find_map(|(item, _)| match item {
        Item::MaskedId => Some(individuals),
        Item::Known(Meaning::Refuse(r)) => Some(*r),
        _ => None,
    });
    if let Some(r) = refusal {
        let topic = &model.refuse[r];
        return done(
            Outcome::Refuse(Refused {
                topic: topic.topic.clone(),
                why: topic.why.clone(),
                instead: topic.instead.clone(),
            }),
            false,
        );
    }
    // A capitalised word nothing knows, not opening the question, reads as a name: the analyst never answers about
    // a person ("is Maria Garcia high risk").
    let shouting = tokens.iter().all(|(_, o)| !o.chars().any(char::is_lowercase));
    let name = tokens.iter().enumerate().skip(1).find(|(i, (l, o))| {
        !shouting
            && o.chars().next().is_some_and(char::is_uppercase)
            && o.chars().all(char::is_alphabetic)
            && o.len() > 2
            && items.iter().any(|(item, span)| span.contains(i) && matches!(item, Item::Unknown(_)))
            && lexicon.words.binary_search(l).is_err()
    });
    if let Some((_, (_, original))) = name {
        let topic = &model.refuse[individuals];
        return done(
            Outcome::Refuse(Refused {
                topic: topic.topic.clone(),
                why: format!("“{}” looks like a name, and {}", crate::text::clip(original, 30), topic.why),
                instead: topic.instead.clone(),
            }),
            false,
        );
    }
    // A word nothing knows where a place or group goes ("in tx", "for Puerto Rico") is asked about, not dropped.
    let slot_word = items.iter().find_map(|(item, span)| match item {
        Item::Unknown(w) if span.start > 0 && ["in", "for"].contains(&lower[span.start - 1].as_str()) => {
            Some(w.clone())
        }
        _ => None,
    });
    if let Some(word) = slot_word {
        let regions = &model.dimension("region").expect("a region dimension").values;
        let mut candidates: Vec<&super::semantic::Value> = regions
            .iter()
            .filter(|v| v.value.eq_ignore_ascii_case(&word) || v.label.to_lowercase().starts_with(&word))
            .collect();
        if candidates.is_empty() {
            candidates =
                regions.iter().filter(|v| distance(&word, &v.label.to_lowercase(), 3).is_some()).take(3).collect();
        }
        let options: Vec<Choice> = candidates
            .iter()
            .take(4)
            .map(|v| Choice { label: v.label.clone(), question: replace_word(question, &word, &v.label) })
            .collect();
        return done(
            Outcome::Clarify(Clarify {
                prompt: format!(
                    "I don't know “{}” as a region, credit group or age band{}",
                    crate::text::clip(&word, 30),
                    if options.is_empty() { ": ask by one of those." } else { ". Did you mean:" }
                ),
                options,
            }),
            false,
        );
    }
    let slots = Slots::read(&items, &lower, model);
    // A follow-up changes slots of the previous plan: it names no figure ("what about Texas?"), or it opens like one
    // ("same for medical exposure", "and for prime").
    let opens_like_one = ["same", "and", "what about", "how about", "now", "also", "then"]
        .iter()
        .any(|cue| lower.join(" ").starts_with(&format!("{cue} ")) || lower.join(" ") == *cue);
    let follow_up = previous.is_some()
        && !slots.summary_cue()
        && (slots.metrics.is_empty() && slots.says_anything() || opens_like_one || slots.everyone);
    let outcome = match (follow_up, previous) {
        (true, Some(previous)) => slots.merge(previous.clone(), model, calendar),
        _ => slots.plan(model, calendar),
    };
    done(outcome, follow_up)
}

/// The slots a question fills, before they become a plan.
#[derive(Debug, Default)]
struct Slots {
    metrics: Vec<usize>,
    dimensions: Vec<usize>,
    values: Vec<(usize, usize)>,
    /// Snapshot asked for (months ago).
    at: Option<u32>,
    /// Snapshot compared with (months ago).
    compare: Option<u32>,
    /// A month by offset from the latest, or by name.
    month_back: Option<u32>,
    month: Option<(u32, Option<i32>)>,
    window: Option<u32>,
    intents: BTreeSet<String>,
    order: Option<Order>,
    limit: Option<u32>,
    threshold: Option<f64>,
    shock: Option<Shock>,
    /// Whether a shock's subject was named without an amount.
    shock_unsized: bool,
    /// "which region" (one) rather than "which regions" or "top regions".
    singular: bool,
    instead: bool,
    /// "by month": a monthly breakdown.
    by_month: bool,
    /// The question names people ("the 10 highest-risk people") and no group to rank.
    about_people: bool,
    /// A share asked for ("what % of customers are high risk") without a number.
    wants_share: bool,
    /// "the whole portfolio", "everyone": no filter.
    everyone: bool,
}

fn has(lower: &[String], word: &str) -> bool {
    lower.iter().any(|w| w == word)
}

/// Where `phrase` occurs in `lower` (as whole tokens).
fn find(lower: &[String], phrase: &str) -> Vec<usize> {
    let p: Vec<String> = super::semantic::tokens(phrase);
    if p.is_empty() || p.len() > lower.len() {
        return Vec::new();
    }
    (0..=lower.len() - p.len()).filter(|&i| lower[i..i + p.len()] == p[..]).collect()
}

impl Slots {
    fn read(items: &[(Item, std::ops::Range<usize>)], lower: &[String], model: &Semantic) -> Slots {
        let mut s = Slots::default();
        let mut numbers: Vec<(f64, usize, bool)> = Vec::new();
        for (idx, (item, span)) in items.iter().enumerate() {
            match item {
                Item::Known(Meaning::Metric(m)) if !s.metrics.contains(m) => s.metrics.push(*m),
                Item::Known(Meaning::Dimension(d)) if !s.dimensions.contains(d) => s.dimensions.push(*d),
                Item::Known(Meaning::Value(d, v)) if !s.values.contains(&(*d, *v)) => s.values.push((*d, *v)),
                Item::Known(Meaning::Time(t)) => {
                    let time = &model.time[*t];
                    s.at = time.at.or(s.at);
                    s.compare = time.compare.or(s.compare);
                    s.month_back = time.months.or(s.month_back);
                    s.window = time.window.or(s.window);
                }
                Item::Known(Meaning::Intent(i)) => {
                    s.intents.insert(i.clone());
                }
                Item::Ago(n) => s.at = Some(*n),
                Item::Last(n) => s.window = Some(*n),
                Item::MonthName(m, y) => s.month = Some((*m, *y)),
                Item::Number(n) => {
                    let percent = matches!(items.get(idx + 1), Some((Item::Percent, _)))
                        || lower.get(span.end).is_some_and(|w| w == "percent" || w == "pct");
                    numbers.push((*n, span.start, percent));
                }
                _ => {}
            }
        }
        for (words, order) in [(&model.order.descending, Order::Descending), (&model.order.ascending, Order::Ascending)]
        {
            if s.order.is_none() && words.iter().any(|w| !find(lower, w).is_empty()) {
                s.order = Some(order);
            }
        }
        s.instead = has(lower, "instead");
        s.everyone = s.intents.contains("everyone");
        // "which region" or "which credit group" (one) rather than "which regions".
        s.singular = ["which", "what"].iter().any(|w| {
            find(lower, w).iter().any(|&i| {
                model.dimension.iter().flat_map(|d| &d.synonyms).any(|syn| {
                    let p = super::semantic::tokens(syn);
                    !syn.ends_with('s') && lower.len() > i + p.len() && lower[i + 1..i + 1 + p.len()] == p[..]
                })
            })
        });
        s.by_month = s.dimensions.iter().any(|&d| model.dimension[d].name == "month");
        s.about_people = s.dimensions.is_empty()
            && ["people", "persons", "customers", "survivors", "clients", "borrowers"].iter().any(|w| has(lower, w));
        s.wants_share = ["percentage", "fraction", "proportion"].iter().any(|w| has(lower, w))
            || lower.iter().enumerate().any(|(i, w)| w == "%" && (i == 0 || is_number(&lower[i - 1]).is_none()));
        let count = model.metric.iter().position(|m| m.name == "high_risk_count");
        let share = model.metric.iter().position(|m| m.name == "high_risk_share");
        if s.wants_share
            && let (Some(c), Some(sh)) = (count, share)
        {
            for m in s.metrics.iter_mut().filter(|m| **m == c) {
                *m = sh;
            }
        }
        // "people" next to another figure is the figure's subject ("people at high risk"), not a figure of its own.
        let people = model.metric.iter().position(|m| m.name == "people");
        if s.metrics.len() > 1 || s.intents.contains("summary") {
            s.metrics.retain(|m| Some(*m) != people);
        }
        s.read_shock(lower, model, &mut numbers);
        // What is left: a top-N, or a threshold.
        for (n, at, percent) in numbers {
            let before = at.checked_sub(1).and_then(|i| lower.get(i)).map(String::as_str);
            let after = lower.get(at + 1).map(String::as_str);
            let names_groups = after.is_some_and(|w| {
                model.dimension.iter().any(|d| d.synonyms.iter().any(|syn| super::semantic::tokens(syn)[0] == w))
            });
            if matches!(before, Some("top" | "bottom" | "first" | "last")) || names_groups {
                s.limit = Some(n.clamp(1.0, MAX_LIMIT as f64) as u32);
            } else if matches!(before, Some("threshold" | "at" | "of" | "cutoff" | "cut-off"))
                || n < 1.0 && !matches!(before, Some("above" | "over" | "below" | "under"))
                || percent && !matches!(before, Some("above" | "over" | "below" | "under" | "than"))
            {
                s.threshold = Some(if percent || n > 1.0 { n / 100.0 } else { n });
            }
        }
        s
    }

    /// A what-if shock: a subject (medical costs, income, unemployment), a direction and an amount near it.
    fn read_shock(&mut self, lower: &[String], model: &Semantic, numbers: &mut Vec<(f64, usize, bool)>) {
        let words = &model.shock;
        let subjects =
            [("medical_cost", &words.medical_cost), ("income", &words.income), ("unemployment", &words.unemployment)];
        let whatif = self.intents.contains("whatif");
        let mut shock = Shock::default();
        let mut any = false;
        for (subject, phrases) in subjects {
            let Some(at) = phrases.iter().flat_map(|p| find(lower, p)).min() else { continue };
            if !whatif {
                continue;
            }
            any = true;
            let near = |i: usize| i.abs_diff(at) <= 6;
            let Some(k) = numbers.iter().position(|(_, i, _)| near(*i)) else {
                self.shock_unsized = true;
                continue;
            };
            let (n, _, _) = numbers.remove(k);
            // The direction word nearest the subject sets the sign ("medical costs rise 20% and income falls 5%").
            let nearest = |list: &Vec<String>| {
                list.iter().flat_map(|w| find(lower, w)).filter(|&i| near(i)).map(|i| i.abs_diff(at)).min()
            };
            let down = match (nearest(&words.down), nearest(&words.up)) {
                (Some(d), Some(u)) => d < u,
                (Some(_), None) => true,
                _ => false,
            };
            let signed = if n < 0.0 || down { -n.abs() } else { n.abs() };
            match subject {
                "medical_cost" => shock.medical_cost_pct = signed,
                "income" => shock.income_pct = signed,
                _ => shock.unemployment_points = signed,
            }
        }
        if any {
            self.shock = Some(shock);
        }
    }

    fn summary_cue(&self) -> bool {
        self.intents.contains("summary")
    }

    /// Whether the question sets any slot at all (a follow-up must).
    fn says_anything(&self) -> bool {
        !self.dimensions.is_empty()
            || !self.values.is_empty()
            || self.at.is_some()
            || self.compare.is_some()
            || self.month_back.is_some()
            || self.month.is_some()
            || self.window.is_some()
            || self.threshold.is_some()
            || self.limit.is_some()
            || self.order.is_some()
            || self.shock.is_some()
            || !self.intents.is_empty()
            || self.everyone
    }

    fn intent(&self, has_group: bool, segments: bool, scenario: bool) -> Intent {
        let cue = |i: &str| self.intents.contains(i);
        if cue("explain") {
            Intent::Explain
        } else if cue("whatif") || self.shock.is_some() {
            Intent::Whatif
        } else if scenario {
            Intent::CompareScenario
        } else if segments {
            Intent::CompareSegments
        } else if cue("summary") && self.metrics.is_empty() {
            Intent::Summary
        } else if cue("trend") || self.window.is_some() {
            Intent::Trend
        } else if cue("share") && !self.values.is_empty() {
            Intent::Share
        } else if has_group && (self.limit.is_some() || cue("rank") && self.order.is_some()) {
            Intent::Rank
        } else if self.compare.is_some() || cue("compare_periods") && self.at.is_some_and(|a| a > 0) {
            Intent::ComparePeriods
        } else if has_group {
            Intent::Breakdown
        } else if cue("compare_periods") {
            Intent::ComparePeriods
        } else {
            Intent::Value
        }
    }

    /// A fresh plan from the slots.
    fn plan(self, model: &Semantic, calendar: &Calendar<'_>) -> Outcome {
        let mut plan = Plan::new(Intent::Value);
        plan.metrics = self.metrics.iter().map(|&m| model.metric[m].name.clone()).collect();
        self.fill(&mut plan, model, calendar)
    }

    /// The previous plan with the slots this question names changed.
    fn merge(self, mut plan: Plan, model: &Semantic, calendar: &Calendar<'_>) -> Outcome {
        if self.everyone {
            plan.filters.clear();
            plan.segments.clear();
        }
        if !self.metrics.is_empty() {
            plan.metrics = self.metrics.iter().map(|&m| model.metric[m].name.clone()).collect();
        }
        // Values replace the previous values of their dimension; a group-by replaces the previous one.
        for (d, _) in &self.values {
            let name = &model.dimension[*d].name;
            plan.filters.remove(name);
            // "what about Texas?" after a breakdown by region asks for Texas's figure.
            if plan.group_by.as_ref() == Some(name) && self.dimensions.is_empty() {
                plan.group_by = None;
                plan.limit = None;
                plan.order = None;
                if matches!(plan.intent, Intent::Breakdown | Intent::Rank) {
                    plan.intent = Intent::Value;
                }
            }
        }
        if !self.values.is_empty() {
            plan.segments.clear();
        }
        let explicit_intent = self.intents.iter().any(|i| i != "everyone" && i != "peak")
            || self.window.is_some()
            || self.compare.is_some()
            || !self.dimensions.is_empty();
        let keep = (!explicit_intent).then_some(plan.intent);
        if self.at.is_some() || self.month_back.is_some() || self.month.is_some() || self.window.is_some() {
            plan.time = None;
            plan.comparison = None;
        }
        if self.compare.is_some() {
            plan.time = None;
        }
        let previous_intent = plan.intent;
        let outcome = self.fill(&mut plan, model, calendar);
        match outcome {
            Outcome::Answer(mut plan) => {
                // A follow-up keeps the previous intent unless it names one of its own; a group-by turns a single
                // figure into a breakdown.
                if let Some(kept) = keep
                    && plan.group_by.is_some() == matches!(kept, Intent::Breakdown | Intent::Rank)
                {
                    plan.intent = kept;
                }
                if !explicit_intent && plan.intent == Intent::Value {
                    plan.intent = match previous_intent {
                        Intent::Value | Intent::Breakdown if plan.group_by.is_some() => Intent::Breakdown,
                        Intent::Breakdown | Intent::Rank if plan.group_by.is_none() => Intent::Value,
                        Intent::CompareSegments if plan.segments.len() < 2 => Intent::Value,
                        other => other,
                    };
                }
                Outcome::Answer(plan)
            }
            other => other,
        }
    }

    /// Fills `plan` from the slots, or says what is missing or out of reach.
    fn fill(self, plan: &mut Plan, model: &Semantic, calendar: &Calendar<'_>) -> Outcome {
        let dims = |names: &[&str]| -> Vec<usize> {
            names.iter().filter_map(|n| model.dimension.iter().position(|d| d.name == *n)).collect()
        };
        let people_dims = dims(&PEOPLE_DIMENSIONS);
        let dv_dims = dims(&DV_DIMENSIONS);
        let name = |d: usize| model.dimension[d].name.clone();
        // Scenario and shape values make the scenario; values of one dimension named twice are segments.
        let mut scenario: Option<ScenarioRef> = None;
        let mut filters: Vec<(usize, usize)> = Vec::new();
        for &(d, v) in &self.values {
            let value = model.dimension[d].values[v].value.clone();
            match model.dimension[d].name.as_str() {
                "scenario" => {
                    let at = if has_peak(&self) { "peak" } else { "horizon" };
                    let shape = scenario.as_ref().and_then(|s| s.shape.clone());
                    scenario = Some(ScenarioRef { name: value, shape, at: at.into() });
                }
                "shape" => match scenario.as_mut() {
                    Some(s) => s.shape = Some(value),
                    None => {
                        scenario = Some(ScenarioRef { name: String::new(), shape: Some(value), at: "horizon".into() })
                    }
                },
                _ => filters.push((d, v)),
            }
        }
        if let Some(s) = &scenario
            && s.name.is_empty()
        {
            return clarify(
                "Which scenario do you mean?",
                model.dimension("scenario").map(|d| &d.values[..]).unwrap_or_default().iter().map(|v| Choice {
                    label: v.label.clone(),
                    question: format!("high-risk people under the {}", v.label),
                }),
            );
        }
        let mut group_by: Option<usize> =
            self.dimensions.iter().copied().find(|d| name(*d) != "scenario" && name(*d) != "shape");
        let mut segments: Vec<Segment> = Vec::new();
        for &(d, _) in &filters {
            let same: Vec<&(usize, usize)> = filters.iter().filter(|(e, _)| *e == d).collect();
            if same.len() >= 2 && group_by != Some(d) && segments.is_empty() {
                segments = same
                    .iter()
                    .take(2)
                    .map(|(d, v)| Segment { dimension: name(*d), value: model.dimension[*d].values[*v].value.clone() })
                    .collect();
            }
        }
        for &(d, v) in &filters {
            if !segments.iter().any(|s| s.dimension == name(d)) {
                plan.filters.insert(name(d), model.dimension[d].values[v].value.clone());
            }
        }
        if !segments.is_empty() {
            plan.segments = segments;
        }
        if group_by.is_some_and(|g| name(g) == "month") {
            group_by = None;
        }
        if let Some(g) = group_by {
            if plan.filters.contains_key(&name(g)) && !self.instead {
                // "high-risk share in Ohio by region": the filter wins; a group-by of one value is the value.
                group_by = None;
            } else {
                plan.filters.remove(&name(g));
            }
        }
        if let Some(g) = group_by {
            plan.group_by = Some(name(g));
        }
        // "the 10 highest-risk people": a ranking of people, not of groups.
        let ranks = self.limit.is_some() || self.intents.contains("rank") && self.order.is_some();
        if self.about_people && plan.group_by.is_none() && ranks {
            let topic = model.refuse.iter().find(|r| r.topic == "individuals").expect("an individuals topic");
            return refuse(&topic.topic, &topic.why, &topic.instead);
        }
        plan.scenario = scenario.or(plan.scenario.take());
        if self.threshold.is_some() {
            plan.threshold = self.threshold;
        }
        if let Some(limit) = self.limit {
            plan.limit = Some(limit);
        }
        if let Some(order) = self.order {
            plan.order = Some(order);
        }
        if let Some(shock) = self.shock {
            plan.shock = Some(shock);
        }
        let intent = self.intent(plan.group_by.is_some(), plan.segments.len() == 2, plan.scenario.is_some());
        if intent != Intent::Value || plan.metrics.is_empty() || !self.intents.is_empty() {
            plan.intent = intent;
        }
        if plan.intent == Intent::Whatif {
            // The shock's subject ("medical costs") is not the figure asked for.
            plan.metrics.retain(|m| m != "medical_exposure");
            if self.shock_unsized || plan.shock.as_ref().is_none_or(|s| s.is_none()) {
                return clarify(
                    "By how much should the shock move? Name an amount:",
                    [
                        ("medical costs up 30 %", "what if medical costs rise 30%"),
                        ("income down 10 %", "what if income falls 10%"),
                        ("unemployment up 5 points", "what if unemployment rises 5 points"),
                    ]
                    .map(|(l, q)| Choice { label: l.into(), question: q.into() }),
                );
            }
            if plan.metrics.is_empty() {
                plan.metrics = vec!["high_risk_count".into(), "expected_distress".into()];
            }
        }
        if plan.intent == Intent::Rank {
            plan.order.get_or_insert(Order::Descending);
            if plan.limit.is_none() {
                plan.limit = Some(if self.singular { 1 } else { 5 });
            }
        }
        if plan.intent == Intent::Rank && plan.group_by.is_none() {
            return clarify(
                "Rank which groups?",
                people_dims.iter().map(|&d| Choice {
                    label: model.dimension[d].label.clone(),
                    question: format!("which {} has the highest high-risk share", model.dimension[d].label),
                }),
            );
        }
        if plan.intent == Intent::CompareScenario && plan.metrics.is_empty() {
            plan.metrics = vec!["high_risk_count".into(), "expected_distress".into(), "medical_exposure".into()];
        }
        if plan.intent == Intent::Summary {
            return Outcome::Answer(plan.clone());
        }
        if plan.metrics.is_empty() {
            let about = describe_filters(plan, model);
            let examples = ["high_risk_share", "people", "expected_distress", "medical_exposure", "missed_payments"];
            return clarify(
                "Which figure do you mean?",
                examples
                    .iter()
                    .filter_map(|m| model.metric(m))
                    .map(|m| Choice { label: m.label.clone(), question: format!("{}{about}", m.label) }),
            );
        }
        // Times, by the grain of the figures asked for.
        let metrics: Vec<&super::semantic::Metric> = plan.metrics.iter().filter_map(|m| model.metric(m)).collect();
        let grain = metrics[0].grains[0];
        if let Some(mixed) = metrics.iter().find(|m| m.grains[0] != grain) {
            return clarify(
                &format!(
                    "{} and {} are counted over different times; ask for one at a time:",
                    metrics[0].label, mixed.label
                ),
                [metrics[0], *mixed].map(|m| Choice { label: m.label.clone(), question: m.label.clone() }),
            );
        }
        let dv = metrics.iter().any(|m| m.population == "dv");
        let allowed: &[usize] = if dv { &dv_dims } else { &people_dims };
        let misplaced = plan
            .filters
            .keys()
            .chain(plan.group_by.iter())
            .chain(plan.segments.iter().map(|s| &s.dimension))
            .find(|d| !allowed.iter().any(|&a| model.dimension[a].name == **d))
            .cloned();
        if let Some(d) = misplaced {
            let label = model.dimension(&d).map_or(d.clone(), |d| d.label.clone());
            let valid: Vec<String> = allowed.iter().map(|&a| model.dimension[a].label.clone()).collect();
            if d == "indicator" {
                return refuse(
                    "indicators",
                    "case indicators pick out people, and the analyst answers about groups",
                    "roles with case lists can narrow the masked case list by indicator (Cases view); ask here by region, credit group or age band",
                );
            }
            return refuse(
                "dimension",
                &format!("{} are not broken down by {label}", metrics[0].label),
                &format!("ask by {}", valid.join(", ")),
            );
        }
        match grain {
            Grain::Snapshot => {
                // A named month that is a snapshot's ("December 2024", a year before a December observation).
                let mut at = self.at;
                if let Some((m, year)) = self.month {
                    let named = calendar.months.iter().rposition(|s| {
                        s[5..7].parse::<u32>().ok() == Some(m)
                            && year.is_none_or(|y| s[..4].parse::<i32>().ok() == Some(y))
                    });
                    match named.map(|i| (calendar.months.len() - 1 - i) as u32) {
                        Some(back @ (0 | 3 | 12)) => at = Some(back),
                        _ => return snapshot_clarify(metrics[0], plan, model),
                    }
                } else if let Some(back) = self.month_back {
                    if back == 0 { at = Some(0) } else { return snapshot_clarify(metrics[0], plan, model) }
                }
                if at.is_some_and(|a| a > 0)
                    && (plan.group_by.is_some() || !plan.segments.is_empty() || plan.intent == Intent::Share)
                {
                    return refuse(
                        "grain",
                        "breakdowns, rankings and comparisons of groups are of the figures now",
                        &format!(
                            "ask how the {} changed over the last year, group by group (\"how did the {} in Texas change over the last year\")",
                            metrics[0].label, metrics[0].label
                        ),
                    );
                }
                if let Some(at) = at {
                    if at != 0 && at != 3 && at != 12 {
                        return snapshot_clarify(metrics[0], plan, model);
                    }
                    if plan.intent == Intent::ComparePeriods || plan.intent == Intent::Explain {
                        plan.comparison = Some(at.max(3));
                    } else if at > 0 {
                        plan.time = Some(Time::MonthsAgo(at));
                    } else {
                        plan.time = None;
                    }
                }
                if let Some(c) = self.compare {
                    plan.comparison = Some(c);
                }
                if matches!(plan.intent, Intent::ComparePeriods | Intent::Explain) && plan.comparison.is_none() {
                    plan.comparison = Some(12);
                }
                if plan.intent == Intent::Trend || self.by_month {
                    return refuse(
                        "grain",
                        &format!(
                            "{} exists as of three dates (now, 3 and 12 months ago), not month by month",
                            metrics[0].label
                        ),
                        &format!(
                            "ask how it changed over the last year (\"how did the {} change over the last year\"), or for a monthly figure such as missed payments by month",
                            metrics[0].label
                        ),
                    );
                }
            }
            Grain::Month => {
                let months = calendar.months;
                let month = if let Some((m, year)) = self.month {
                    let found = months.iter().rev().find(|s| {
                        s[5..7].parse::<u32>().ok() == Some(m)
                            && year.is_none_or(|y| s[..4].parse::<i32>().ok() == Some(y))
                    });
                    match found {
                        Some(s) => Some(s.clone()),
                        None => {
                            return clarify(
                                &format!(
                                    "The warehouse's months run from {} to {}; which month?",
                                    months.first().map_or("?", |s| s.as_str()),
                                    calendar.latest().unwrap_or("?")
                                ),
                                months.iter().rev().take(3).map(|s| Choice {
                                    label: s.clone(),
                                    question: format!("{} in {s}", metrics[0].label),
                                }),
                            );
                        }
                    }
                } else {
                    match self.month_back.or(self.at.filter(|a| *a > 0)) {
                        Some(back) => match calendar.back(back) {
                            Some(m) => Some(m),
                            None => {
                                return refuse(
                                    "time",
                                    &format!("the warehouse holds {} months of history", months.len()),
                                    "ask for a month within it",
                                );
                            }
                        },
                        None => None,
                    }
                };
                if let Some(month) = month {
                    plan.time = Some(Time::Month(month));
                }
                if let Some(w) = self.window {
                    plan.time = Some(Time::Window(w));
                    plan.intent = Intent::Trend;
                } else if self.by_month && plan.time.is_none() {
                    plan.intent = Intent::Trend;
                }
                if let Some(c) = self.compare {
                    plan.comparison = Some(c);
                    plan.intent = Intent::ComparePeriods;
                }
                if plan.intent == Intent::ComparePeriods && plan.comparison.is_none() {
                    plan.comparison = Some(12);
                }
                if plan.intent == Intent::Trend && plan.time.is_none() {
                    plan.time = Some(Time::Window(12));
                }
                if plan.intent == Intent::Explain {
                    return refuse(
                        "explain",
                        "explanations attribute a change in the model's risk to its inputs; monthly event counts are inputs, not the model's output",
                        "ask why expected distress or the high-risk share changed over the last year",
                    );
                }
            }
            Grain::Current => {
                if self.at.is_some_and(|a| a > 0)
                    || self.compare.is_some()
                    || self.month.is_some()
                    || self.window.is_some()
                {
                    return refuse(
                        "grain",
                        &format!("{} is measured once, on the model's validation rows", metrics[0].label),
                        "ask for its value now, or open the model page for the calibration and threshold tables",
                    );
                }
                if !dv && (!plan.filters.is_empty() || plan.group_by.is_some()) {
                    return refuse(
                        "dimension",
                        &format!("{} is one figure for the whole model", metrics[0].label),
                        "the model page shows fairness by region and age band",
                    );
                }
            }
            Grain::Horizon | Grain::Peak => {
                if plan.scenario.is_none() {
                    return clarify(
                        "Which scenario?",
                        model.dimension("scenario").map(|d| &d.values[..]).unwrap_or_default().iter().map(|v| Choice {
                            label: v.label.clone(),
                            question: format!("{} under the {}", metrics[0].label, v.label),
                        }),
                    );
                }
                plan.intent = Intent::CompareScenario;
            }
        }
        if plan.intent == Intent::CompareScenario {
            // Scenario figures are the whole population's, at the run's horizon or peak.
            plan.metrics = plan
                .metrics
                .iter()
                .map(|m| m.strip_prefix("scenario_").unwrap_or(m).to_owned())
                .filter(|m| {
                    ["high_risk_count", "expected_distress", "medical_exposure", "mean_probability"]
                        .contains(&m.as_str())
                })
                .collect();
            if plan.metrics.is_empty() {
                return refuse(
                    "scenario",
                    "a scenario run reports high-risk people, expected distress, mean probability and medical exposure",
                    "ask for one of those under the scenario",
                );
            }
            if !plan.filters.is_empty() || plan.group_by.is_some() {
                return refuse(
                    "scenario",
                    "scenario runs are stored for the whole population (with medical exposure by region on the run's page)",
                    "ask for the whole population under the scenario",
                );
            }
        }
        if plan.intent == Intent::Explain
            && !plan.metrics.iter().all(|m| {
                ["high_risk_share", "high_risk_count", "expected_distress", "mean_probability"].contains(&m.as_str())
            })
        {
            return refuse(
                "explain",
                "explanations attribute a change in the model's risk (expected distress, mean probability, high-risk share) to its inputs",
                "ask why expected distress rose over the last year",
            );
        }
        if plan.intent == Intent::Share
            && !plan
                .metrics
                .iter()
                .all(|m| ["people", "high_risk_count", "medical_exposure", "expected_distress"].contains(&m.as_str()))
        {
            plan.intent = Intent::Value;
        }
        Outcome::Answer(plan.clone())
    }
}

/// `question` with its first whole-word `word` (any case) replaced by `with`.
fn replace_word(question: &str, word: &str, with: &str) -> String {
    let lower = question.to_lowercase();
    let mut from = 0;
    while let Some(at) = lower[from..].find(word).map(|a| a + from) {
        let before = lower[..at].chars().next_back().is_none_or(|c| !c.is_alphanumeric());
        let after = lower[at + word.len()..].chars().next().is_none_or(|c| !c.is_alphanumeric());
        if before && after && question.is_char_boundary(at) && question.is_char_boundary(at + word.len()) {
            return format!("{}{with}{}", &question[..at], &question[at + word.len()..]);
        }
        from = at + word.len();
    }
    question.to_owned()
}

fn has_peak(s: &Slots) -> bool {
    s.intents.contains("peak")
}

fn describe_filters(plan: &Plan, model: &Semantic) -> String {
    plan.filters.iter().map(|(d, v)| format!(" in {}", model.label(d, v))).collect()
}

fn snapshot_clarify(metric: &super::semantic::Metric, plan: &Plan, model: &Semantic) -> Outcome {
    let about = describe_filters(plan, model);
    clarify(
        &format!(
            "{} is computed as of three dates: now, and 3 and 12 months before the observation date. Which?",
            metric.label
        ),
        [("now", ""), ("3 months ago", " 3 months ago"), ("12 months ago", " 12 months ago")]
            .map(|(l, q)| Choice { label: l.into(), question: format!("{}{about}{q}", metric.label) }),
    )
}

fn clarify(prompt: &str, options: impl IntoIterator<Item = Choice>) -> Outcome {
    Outcome::Clarify(Clarify { prompt: prompt.to_owned(), options: options.into_iter().collect() })
}

fn refuse(topic: &str, why: &str, instead: &str) -> Outcome {
    Outcome::Refuse(Refused { topic: topic.into(), why: why.into(), instead: instead.into() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn months() -> Vec<String> {
        (1..=12).map(|m| format!("2025-{m:02}")).chain((1..=12).map(|m| format!("2026-{m:02}"))).collect()
    }

    fn plan(q: &str) -> Plan {
        let months = months();
        match parse(q, None, &Calendar { months: &months }).outcome {
            Outcome::Answer(p) => p,
            other => panic!("{q}: {other:?}"),
        }
    }

    #[test]
    fn distance_counts_a_transposition_once() {
        assert_eq!(distance("hihg", "high", 1), Some(1));
        assert_eq!(distance("shre", "share", 1), Some(1));
        assert_eq!(distance("subprme", "subprime", 2), Some(1));
        assert_eq!(distance("ohio", "texas", 2), None);
    }

    #[test]
    fn typos_are_repaired_and_reported() {
        let months = months();
        let parsed = parse("hihg risk shre for subprme in ohio", None, &Calendar { months: &months });
        let Outcome::Answer(plan) = &parsed.outcome else { panic!("{parsed:?}") };
        assert_eq!(plan.metrics, ["high_risk_share"]);
        assert_eq!(plan.filters.get("credit_group").map(String::as_str), Some("subprime"));
        assert_eq!(plan.filters.get("region").map(String::as_str), Some("OH"));
        let fixed: Vec<(&str, &str)> = parsed.corrections.iter().map(|c| (c.from.as_str(), c.to.as_str())).collect();
        assert_eq!(fixed, [("hihg", "high"), ("shre", "share"), ("subprme", "subprime")]);
    }

    #[test]
    fn codes_match_only_in_capitals() {
        assert_eq!(plan("people in OH").filters.get("region").map(String::as_str), Some("OH"));
        let p = plan("people in ohio or in texas");
        assert_eq!(p.intent, Intent::CompareSegments);
    }

    #[test]
    fn rankings_breakdowns_and_periods() {
        let p = plan("which region has the highest high-risk share");
        assert_eq!(
            (p.intent, p.group_by.as_deref(), p.limit, p.order),
            (Intent::Rank, Some("region"), Some(1), Some(Order::Descending))
        );
        let p = plan("medical exposure by credit group");
        assert_eq!((p.intent, p.group_by.as_deref()), (Intent::Breakdown, Some("credit_group")));
        let p = plan("how did expected distress change over the last year");
        assert_eq!((p.intent, p.comparison), (Intent::ComparePeriods, Some(12)));
        let p = plan("missed payments over the last 6 months");
        assert_eq!((p.intent, p.time), (Intent::Trend, Some(Time::Window(6))));
        let p = plan("high risk share at 30%");
        assert_eq!(p.threshold, Some(0.3));
        let p = plan("what if medical costs rise 30%");
        assert_eq!(p.intent, Intent::Whatif);
        assert_eq!(p.shock.unwrap().medical_cost_pct, 30.0);
        let p = plan("what if income falls by 10 percent");
        assert_eq!(p.shock.unwrap().income_pct, -10.0);
    }

    #[test]
    fn people_and_contacts_are_refused() {
        let months = months();
        for q in ["what is the name of the riskiest customer", "phone numbers of high risk people", "show SH-AB12-CD34"]
        {
            assert!(matches!(parse(q, None, &Calendar { months: &months }).outcome, Outcome::Refuse(_)), "{q}");
        }
    }

    #[test]
    fn follow_ups_change_slots() {
        let months = months();
        let calendar = Calendar { months: &months };
        let first = plan("high risk share in Ohio");
        let Outcome::Answer(next) = parse("what about Texas?", Some(&first), &calendar).outcome else { panic!() };
        assert_eq!(next.filters.get("region").map(String::as_str), Some("TX"));
        assert_eq!(next.metrics, first.metrics);
        let Outcome::Answer(next) = parse("by age band instead", Some(&next), &calendar).outcome else { panic!() };
        assert_eq!((next.intent, next.group_by.as_deref()), (Intent::Breakdown, Some("age_band")));
        assert!(!next.filters.contains_key("region") || next.filters.get("region").map(String::as_str) == Some("TX"));
        let Outcome::Answer(next) = parse("and 12 months ago?", Some(&first), &calendar).outcome else { panic!() };
        assert_eq!(next.time, Some(Time::MonthsAgo(12)));
    }

    #[test]
    fn an_unsupported_grain_asks_which() {
        let months = months();
        let parsed = parse("high risk share 6 months ago", None, &Calendar { months: &months });
        let Outcome::Clarify(c) = parsed.outcome else { panic!("{parsed:?}") };
        assert_eq!(c.options.len(), 3);
    }
}
