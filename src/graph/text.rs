//! The protobuf text format's hazards, checked before the parser sees the
//! text: the parser recurses once per nested message with no limit of its
//! own, so a few thousand braces would overflow the stack (in the page, trap
//! the worker). One linear pass over the bytes counts the nesting first.

/// The deepest nesting accepted: prost refuses binary messages nested deeper
/// (its `RECURSION_LIMIT`), so a deeper text message could not be decoded
/// from its own encoding anyway.
pub const MAX_DEPTH: usize = 100;

/// Where a text goes too deep: the 1-based line and column of the brace that
/// opens message `MAX_DEPTH + 1`.
#[derive(Debug, PartialEq, Eq)]
pub struct TooDeep {
    pub line: usize,
    pub column: usize,
}

/// Checks that no message in `text` is nested more than `MAX_DEPTH` deep.
/// Braces inside strings and `#` comments are not counted; unbalanced braces
/// are left for the parser to report.
pub fn check_depth(text: &str) -> Result<(), TooDeep> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0usize;
    while let Some(&byte) = bytes.get(i) {
        match byte {
            b'"' | b'\'' => i = string_end(bytes, i, byte),
            b'#' => i = line_end(bytes, i),
            b'{' | b'<' => {
                depth = depth.saturating_add(1);
                if depth > MAX_DEPTH {
                    return Err(position(text, i));
                }
            }
            b'}' | b'>' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i = i.saturating_add(1);
    }
    Ok(())
}

/// The index of the quote closing the string that opens at `start` (or of
/// the line end: a text string never spans lines).
fn string_end(bytes: &[u8], start: usize, quote: u8) -> usize {
    let mut i = start.saturating_add(1);
    while let Some(&byte) = bytes.get(i) {
        match byte {
            b'\\' => i = i.saturating_add(1),
            b'\n' => return i,
            b if b == quote => return i,
            _ => {}
        }
        i = i.saturating_add(1);
    }
    i
}

fn line_end(bytes: &[u8], start: usize) -> usize {
    bytes
        .get(start..)
        .and_then(|rest| rest.iter().position(|&b| b == b'\n'))
        .map_or(bytes.len(), |n| start.saturating_add(n))
}

/// The 1-based line and column (in characters) of byte `offset`.
pub fn position(text: &str, offset: usize) -> TooDeep {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count().saturating_add(1);
    let line_start = before.rfind('\n').map_or(0, |n| n.saturating_add(1));
    let column = before
        .get(line_start..)
        .map_or(0, |s| s.chars().count())
        .saturating_add(1);
    TooDeep { line, column }
}

/// True when `bytes` read as protobuf text rather than binary: UTF-8 without
/// the control bytes every binary message starts its fields with (tags and
/// lengths below 0x20 other than whitespace).
pub fn looks_like_text(bytes: &[u8]) -> bool {
    std::str::from_utf8(bytes).is_ok()
        && bytes
            .iter()
            .all(|&b| b >= 0x20 || matches!(b, b'\t' | b'\n' | b'\r' | 0x0b | 0x0c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(depth: usize) -> String {
        format!("{}{}", "a {\n".repeat(depth), "}".repeat(depth))
    }

    #[test]
    fn nesting_up_to_the_limit_passes() {
        assert_eq!(check_depth(&nested(MAX_DEPTH)), Ok(()));
        assert_eq!(check_depth("a < b < > >"), Ok(()));
    }

    #[test]
    fn one_level_more_is_refused_where_it_starts() {
        let err = check_depth(&nested(MAX_DEPTH + 1)).unwrap_err();
        assert_eq!(
            err,
            TooDeep {
                line: MAX_DEPTH + 1,
                column: 3
            }
        );
        // An unclosed nesting is refused just the same.
        assert!(check_depth(&"a {".repeat(5000)).is_err());
    }

    #[test]
    fn braces_in_strings_and_comments_do_not_count() {
        let braces = "{".repeat(MAX_DEPTH + 1);
        let text = format!("s: \"{braces}\\\"{braces}\"\nt: '{braces}'\n# {braces}\n");
        assert_eq!(check_depth(&text), Ok(()));
    }

    #[test]
    fn binary_messages_do_not_look_like_text() {
        assert!(looks_like_text(b"node {\n  name: \"x\"\n}\n"));
        assert!(!looks_like_text(b"\n\x05\n\x01x\x12\x00"));
        assert!(!looks_like_text(b"\xff\xfe"));
    }
}
