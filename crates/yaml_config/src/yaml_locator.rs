//! Maps a dotted key path to its line and column in block-style YAML, so
//! checks made after deserialisation can still point into the file.

/// Finds `key_path` (e.g. `reward.alpha_initial`) in `text` and returns the
/// 1-based line and column of its value (or of the key, when the value
/// starts on a later line). Handles block mappings, comments, quoted keys
/// and block scalars; returns `None` for paths through sequences or flow
/// collections, which it does not follow.
pub(crate) fn locate(text: &str, key_path: &str) -> Option<(u64, u64)> {
    if key_path.is_empty() {
        return None;
    }
    let target: Vec<&str> = key_path.split('.').collect();
    // Stack of (indent, key) for the mapping keys enclosing the current line.
    let mut stack: Vec<(usize, String)> = Vec::new();
    // While inside a block scalar (`|` or `>`), lines indented deeper than
    // this are content, not keys.
    let mut block_scalar_indent: Option<usize> = None;
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim_end();
        let body = line.trim_start();
        let indent = line.len() - body.len();
        if body.is_empty() {
            continue;
        }
        if let Some(min) = block_scalar_indent {
            if indent > min {
                continue;
            }
            block_scalar_indent = None;
        }
        if body.starts_with('#') || body.starts_with("---") || body.starts_with("...") {
            continue;
        }
        if body.starts_with('-') {
            // Sequence item: keys below it are not followed.
            while stack.last().is_some_and(|(i, _)| *i >= indent) {
                stack.pop();
            }
            stack.push((indent, "[]".to_owned()));
            continue;
        }
        let Some((key, after_colon)) = split_key(body) else {
            continue;
        };
        while stack.last().is_some_and(|(i, _)| *i >= indent) {
            stack.pop();
        }
        stack.push((indent, key));
        let value = strip_comment(after_colon).trim();
        if value.starts_with('|') || value.starts_with('>') {
            block_scalar_indent = Some(indent);
        }
        let matches =
            stack.len() == target.len() && stack.iter().zip(&target).all(|((_, k), t)| k == t);
        if matches {
            let line_no = index as u64 + 1;
            let value_offset = after_colon.len() - after_colon.trim_start().len();
            let key_end = line.len() - after_colon.len();
            let column = if value.is_empty() {
                indent + 1
            } else {
                key_end + value_offset + 1
            };
            return Some((line_no, column as u64));
        }
    }
    None
}

/// Splits `key: rest` into the unquoted key and the text after the colon.
fn split_key(body: &str) -> Option<(String, &str)> {
    let (key, rest) = if let Some(quote) = body.chars().next().filter(|c| *c == '"' || *c == '\'') {
        let close = body[1..].find(quote)? + 1;
        let rest = body[close + 1..].trim_start();
        (body[1..close].to_owned(), rest.strip_prefix(':')?)
    } else {
        let colon = find_key_colon(body)?;
        (body[..colon].trim_end().to_owned(), &body[colon + 1..])
    };
    if key.is_empty() {
        None
    } else {
        Some((key, rest))
    }
}

/// The byte offset of the `:` that ends a plain key (followed by a space or
/// the end of the line), if any.
fn find_key_colon(body: &str) -> Option<usize> {
    let bytes = body.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        match b {
            b'#' if i > 0 && bytes[i - 1] == b' ' => return None,
            b'{' | b'[' if i == 0 => return None,
            b':' if i + 1 == bytes.len() || bytes[i + 1] == b' ' || bytes[i + 1] == b'\t' => {
                return Some(i);
            }
            _ => {}
        }
    }
    None
}

/// The text before an unquoted ` #` comment.
fn strip_comment(s: &str) -> &str {
    match s.find(" #") {
        Some(i) if !s[..i].contains('"') && !s[..i].contains('\'') => &s[..i],
        _ => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "\
# a comment
task:
  name: dishwashing   # trailing
  price_per_unit: 0.30
reward:
  notes: |
    alpha_initial: not a key
  alpha_initial: 1.0
  \"beta\": 0.5
env:
  items:
    - alpha_initial: 3
  nested:
    deep: 7
";

    #[test]
    fn locator_finds_nested_keys_and_points_at_values() {
        assert_eq!(locate(DOC, "task.price_per_unit"), Some((4, 19)));
        assert_eq!(locate(DOC, "reward.alpha_initial"), Some((8, 18)));
        assert_eq!(locate(DOC, "reward.beta"), Some((9, 11)));
        assert_eq!(locate(DOC, "env.nested.deep"), Some((14, 11)));
    }

    #[test]
    fn locator_points_at_key_for_section_headers() {
        assert_eq!(locate(DOC, "reward"), Some((5, 1)));
        assert_eq!(locate(DOC, "env.nested"), Some((13, 3)));
    }

    #[test]
    fn locator_returns_none_for_missing_or_sequence_paths() {
        assert_eq!(locate(DOC, "reward.gamma"), None);
        assert_eq!(locate(DOC, "alpha_initial"), None);
        assert_eq!(locate(DOC, ""), None);
        assert_eq!(locate(DOC, "env.items.alpha_initial"), None);
    }
}
