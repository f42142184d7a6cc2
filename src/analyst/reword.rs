//! The optional local language model may only reword an answer's templated text. It is shown the text and the
//! figures (never the user's question, never a person), and its reply is used only if every number, place,
//! group and direction word in it is one the answer already has; otherwise the templated text stands and the
//! answer says why (`fallbackReason`).

use super::Answer;
use super::semantic::Semantic;
use std::collections::BTreeSet;

/// What the model is told.
pub const SYSTEM: &str = "You reword a short summary of figures for a busy executive. Keep every number, place, group and \
direction exactly as given. Do not add facts, causes, advice or figures. Reply with the reworded summary only, at most \
four sentences.";

/// How long the model may take before the templated text is used.
pub const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// The model's input: the templated text and the figures it rests on.
pub fn prompt(answer: &Answer) -> String {
    let mut out = format!("Summary:\n{}\n\nFigures:\n", answer.text);
    for f in &answer.figures {
        let group = f.group.as_deref().map_or_else(String::new, |g| format!(" ({g})"));
        out.push_str(&format!("- {}{group}: {}\n", f.label, f.formatted));
    }
    out
}

/// The numbers in `text` as written ("1,234", "6.1", "30"), without their grouping commas.
fn numbers(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut current = String::new();
    let mut flush = |current: &mut String| {
        let n = current.trim_end_matches(['.', ',']).replace(',', "");
        if !n.is_empty() {
            out.insert(n);
        }
        current.clear();
    };
    for c in text.chars() {
        if c.is_ascii_digit() || (!current.is_empty() && (c == '.' || c == ',')) {
            current.push(c);
        } else {
            flush(&mut current);
        }
    }
    flush(&mut current);
    out
}

fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric() && c != '-')
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

fn contains_phrase(words: &[String], phrase: &str) -> bool {
    let p: Vec<String> = self::words(phrase);
    !p.is_empty() && words.windows(p.len()).any(|w| w == p.as_slice())
}

const UP: [&str; 12] = [
    "rose",
    "rise",
    "rising",
    "risen",
    "increase",
    "increased",
    "higher",
    "grew",
    "grown",
    "growth",
    "worsening",
    "worse",
];
const DOWN: [&str; 12] = [
    "fell",
    "fall",
    "falling",
    "fallen",
    "decrease",
    "decreased",
    "lower",
    "dropped",
    "declined",
    "decline",
    "improvement",
    "better",
];

/// The reply, if it says nothing the answer does not; otherwise why it is not used.
pub fn check(reply: &str, answer: &Answer) -> Result<String, String> {
    let reply = reply.trim();
    if reply.is_empty() {
        return Err("the language model's reply was empty".into());
    }
    if reply.chars().count() > 3 * answer.text.chars().count() + 200 {
        return Err("the language model's reply was much longer than the answer".into());
    }
    let source = prompt(answer);
    let known = numbers(&source);
    let given = numbers(reply);
    if let Some(n) = given.iter().find(|n| !known.contains(*n)) {
        return Err(format!("the language model changed a number ({n} is not one of the answer's figures)"));
    }
    if let Some(n) = numbers(&answer.text).into_iter().find(|n| !given.contains(n)) {
        return Err(format!("the language model dropped a number ({n})"));
    }
    let (said, theirs) = (words(&source), words(reply));
    let model = Semantic::embedded();
    for d in &model.dimension {
        for v in &d.values {
            let names = std::iter::once(&v.label).chain(&v.synonyms);
            if let Some(name) =
                names.into_iter().find(|n| n.len() > 3 && contains_phrase(&theirs, n) && !contains_phrase(&said, n))
            {
                return Err(format!("the language model named {name}, which the answer does not"));
            }
        }
    }
    let has = |ws: &[String], list: &[&str]| ws.iter().any(|w| list.contains(&w.as_str()));
    for (list, other, word) in [(&UP[..], &DOWN[..], "up"), (&DOWN[..], &UP[..], "down")] {
        if has(&theirs, list) && !has(&said, list) && has(&said, other) {
            return Err(format!("the language model turned the direction {word}, against the figures"));
        }
    }
    Ok(reply.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(text: &str) -> Answer {
        let mut a = Answer::empty("answer", "");
        a.text = text.into();
        a
    }

    #[test]
    fn a_faithful_rewording_is_kept_and_every_lie_is_caught() {
        let a =
            answer("For customers in Ohio, high-risk share rose from 5.5 % 12 months ago to 6.1 % now (+0.5 points).");
        let ok = "In Ohio the high-risk share rose to 6.1 % now, from 5.5 % 12 months ago: +0.5 points.";
        assert_eq!(check(ok, &a).as_deref(), Ok(ok));
        let changed = "In Ohio the high-risk share rose to 6.4 % now, from 5.5 % 12 months ago: +0.5 points.";
        assert!(check(changed, &a).unwrap_err().contains("changed a number"));
        assert!(check("In Ohio the high-risk share rose to 6.1 %.", &a).unwrap_err().contains("dropped a number"));
        let flipped = "In Ohio the high-risk share fell to 6.1 % now, from 5.5 % 12 months ago: +0.5 points.";
        assert!(check(flipped, &a).unwrap_err().contains("direction"));
        let named = "In Ohio and Texas the high-risk share rose to 6.1 % now, from 5.5 % 12 months ago: +0.5 points.";
        assert!(check(named, &a).unwrap_err().contains("Texas"));
        assert!(check("   ", &a).unwrap_err().contains("empty"));
        assert!(check(&"word ".repeat(200), &a).unwrap_err().contains("longer"));
    }

    #[test]
    fn numbers_are_read_as_written() {
        assert_eq!(
            numbers("1,234 people, 6.1 %, and 30."),
            ["1234", "30", "6.1"].into_iter().map(String::from).collect()
        );
    }
}
