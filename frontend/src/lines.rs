//! Lines of the editor's text, in the units a `<textarea>` speaks.
//!
//! The engine numbers lines from 1; a textarea's selection offsets count UTF-16 code units.
//! These helpers convert between the two so that clicking a finding selects exactly its
//! line, and the caret's line can be looked up among the findings.

/// Number of lines, as the gutter shows them (an empty text has one line).
pub fn count(text: &str) -> usize {
    text.bytes().filter(|&byte| byte == b'\n').count() + 1
}

/// The gutter's line numbers, `1\n2\n…count\n`, from the previous ones: a line added or
/// removed appends or cuts the end instead of writing every number again.
pub fn numbers(previous: Option<&str>, count: usize) -> String {
    let mut numbers = previous.unwrap_or_default().to_string();
    let mut written = numbers.bytes().filter(|&byte| byte == b'\n').count();
    if written > count {
        // The end of line `count`'s number: all shorter numbers, then those of its width.
        let width = count.to_string().len();
        let shorter = if width == 1 { 0 } else { 10usize.pow(width as u32 - 1) - 1 };
        let length = numbers_length(shorter) + (count - shorter) * (width + 1);
        numbers.truncate(length);
    }
    while written < count {
        written += 1;
        numbers.push_str(&written.to_string());
        numbers.push('\n');
    }
    numbers
}

/// Length of `1\n2\n…count\n` when `count` is 0, 9, 99, 999, …
fn numbers_length(count: usize) -> usize {
    let mut length = 0;
    let mut width = 1;
    let mut first = 1;
    while first <= count {
        length += (count.min(first * 10 - 1) - first + 1) * (width + 1);
        width += 1;
        first *= 10;
    }
    length
}

/// The UTF-16 offsets of the start and end (before its newline) of 1-based `line`,
/// clamped to the text.
pub fn utf16_range(text: &str, line: u32) -> (u32, u32) {
    let mut current = 1;
    let mut offset = 0u32;
    let mut start = None;
    for character in text.chars() {
        if current == line && start.is_none() {
            start = Some(offset);
        }
        if character == '\n' {
            if current == line {
                return (start.unwrap_or(offset), offset);
            }
            current += 1;
        }
        offset += character.len_utf16() as u32;
    }
    match start {
        Some(start) => (start, offset),
        // The line is past the end (or the last, empty line): the end of the text.
        None => (offset, offset),
    }
}

/// The 1-based line holding UTF-16 offset `offset`.
pub fn line_at_utf16(text: &str, offset: u32) -> u32 {
    let mut line = 1;
    let mut position = 0u32;
    for character in text.chars() {
        if position >= offset {
            break;
        }
        if character == '\n' {
            line += 1;
        }
        position += character.len_utf16() as u32;
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_counted_like_the_gutter_shows_them() {
        assert_eq!(count(""), 1);
        assert_eq!(count("a"), 1);
        assert_eq!(count("a\n"), 2);
        assert_eq!(count("a\nb\nc"), 3);
    }

    #[test]
    fn numbers_grow_and_shrink_from_the_previous_ones() {
        let fresh = |count: usize| (1..=count).map(|line| format!("{line}\n")).collect::<String>();
        assert_eq!(numbers(None, 0), "");
        assert_eq!(numbers(None, 3), "1\n2\n3\n");
        // Across every change of width, both ways, from any previous count.
        for previous in [0, 1, 9, 10, 11, 99, 100, 101, 998, 1000, 1001, 10_000] {
            let before = fresh(previous);
            for count in [0, 1, 2, 9, 10, 11, 98, 99, 100, 101, 999, 1000, 1001, 1002, 10_000, 10_001] {
                assert_eq!(numbers(Some(&before), count), fresh(count), "from {previous} to {count}");
            }
        }
    }

    #[test]
    fn ranges_count_utf16_units() {
        let text = "ab\n☕é\n😀x\n";
        assert_eq!(utf16_range(text, 1), (0, 2));
        assert_eq!(utf16_range(text, 2), (3, 5));
        // The emoji is two UTF-16 units.
        assert_eq!(utf16_range(text, 3), (6, 9));
        assert_eq!(utf16_range(text, 4), (10, 10));
        assert_eq!(utf16_range(text, 99), (10, 10));
    }

    #[test]
    fn the_caret_finds_its_line() {
        let text = "ab\n😀x\nlast";
        assert_eq!(line_at_utf16(text, 0), 1);
        assert_eq!(line_at_utf16(text, 2), 1);
        assert_eq!(line_at_utf16(text, 3), 2);
        assert_eq!(line_at_utf16(text, 6), 2);
        assert_eq!(line_at_utf16(text, 7), 3);
        assert_eq!(line_at_utf16(text, 100), 3);
    }
}
