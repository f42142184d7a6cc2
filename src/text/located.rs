//! Errors located in a definition file (`file:line:column: message`), and the file's text they are located in:
//! scenario and drill files, routing rules and their fixtures all report their mistakes this way.

use std::ops::Range;

/// A definition file that could not be read; the message names the file, the place and the field.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct ParseError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// The 1-based line and column (in characters) of a byte offset; offsets past the end are at the end.
pub fn position(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rfind('\n').map_or(before.chars().count(), |nl| before[nl + 1..].chars().count()) + 1;
    (line, column)
}

/// A definition file's text, for locating errors in it.
pub struct Source<'a> {
    pub file: &'a str,
    pub text: &'a str,
}

impl Source<'_> {
    /// An error at a byte offset.
    pub fn error(&self, offset: usize, message: String) -> ParseError {
        let (line, column) = position(self.text, offset);
        ParseError { file: self.file.to_owned(), line, column, message }
    }

    /// An error at the start of a span (as `toml::Spanned` gives them).
    pub fn error_in(&self, span: Range<usize>, message: String) -> ParseError {
        self.error(span.start, message)
    }

    /// An error at the first occurrence of `needle` (the start of the file when it does not occur).
    pub fn error_at(&self, needle: &str, message: String) -> ParseError {
        self.error(self.text.find(needle).unwrap_or(0), message)
    }

    /// Deserialises the text as TOML; a syntax error, a missing or unknown field or a wrong type is located where
    /// the TOML parser found it.
    pub fn deserialize<T: serde::de::DeserializeOwned>(&self) -> Result<T, ParseError> {
        toml::from_str(self.text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            self.error(offset, e.message().trim().to_owned())
        })
    }

    /// Deserialises the text; an unknown variant of the enum one of whose variants is `marker` is said to be in
    /// `field`.
    pub fn parse<T: serde::de::DeserializeOwned>(&self, marker: &str, field: &str) -> Result<T, ParseError> {
        self.deserialize().map_err(|mut e| {
            if e.message.contains("unknown variant") && e.message.contains(&format!("`{marker}`")) {
                e.message = format!("{field}: {}", e.message);
            }
            e
        })
    }

    /// Checks each `[[table]]` entry in order; an error points at the field it names inside that entry's block,
    /// or at the block.
    pub fn check_each<T>(
        &self,
        table: &str,
        entries: &[T],
        check: impl Fn(&T) -> Result<(), (Option<&'static str>, String)>,
    ) -> Result<(), ParseError> {
        let (text, header) = (self.text, format!("[[{table}]]"));
        let mut from = 0;
        for entry in entries {
            let place = text[from..].find(&header).map_or(from, |i| from + i);
            from = place + 1;
            let block_end = text[from..].find(&header).map_or(text.len(), |i| from + i);
            check(entry).map_err(|(field, message)| {
                let at = field
                    .and_then(|f| {
                        text[place..block_end].find(&format!("{f} ")).or_else(|| text[place..block_end].find(f))
                    })
                    .map_or(place, |i| place + i);
                self.error(at, message)
            })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_lines_and_characters() {
        let text = "a = 1\nzoë = 2\n";
        assert_eq!(position(text, 0), (1, 1));
        assert_eq!(position(text, 6), (2, 1));
        assert_eq!(position(text, text.find("= 2").unwrap()), (2, 5));
        assert_eq!(position(text, 1_000), (3, 1));
    }

    #[test]
    fn errors_read_file_line_column_message() {
        let source = Source { file: "f.toml", text: "x = 1\ny = = 2\n" };
        let err = source.deserialize::<toml::Table>().unwrap_err();
        assert_eq!((err.line, err.to_string().starts_with("f.toml:2:")), (2, true), "{err}");
    }
}
