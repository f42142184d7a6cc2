//! Text helpers that could have been in `std`: numbers formatted for people to read, a capitalised first letter,
//! input clipped for echoing in errors, and errors located in a definition file (`located.rs`). A leaf: it uses
//! nothing in the crate.

pub mod located;

/// 1234567 → "1,234,567".
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// "ohio" → "Ohio": the first character in upper case.
pub fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map_or_else(String::new, |c| c.to_uppercase().collect::<String>() + chars.as_str())
}

/// The first `n` characters of `text`: enough of a user's input to echo back in an error, never all of it.
pub fn clip(text: &str, n: usize) -> String {
    text.chars().take(n).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
    }

    #[test]
    fn clip_counts_characters_not_bytes() {
        assert_eq!(clip("Zoë Ångström", 3), "Zoë");
        assert_eq!(clip("ab", 40), "ab");
    }
}
