//! Markdown → HTML for the report preview.
//!
//! A small renderer for exactly the GitHub-flavoured Markdown that `canary_core::report` writes
//! (its golden files are the test cases): ATX headings, paragraphs, tight `-` lists with nested
//! items and task items (`- [x]`), block quotes (`> `), GFM tables with column alignment,
//! `**strong**`, `` `code` ``, backslash escapes, character references (`&lt;`), and links, which
//! stay links only for `http(s)` destinations. Its output is the HTML that CommonMark (as
//! pulldown-cmark renders it) gives for that subset, byte for byte: `tests/markdown_parity.rs`
//! checks it on every golden report and on generated documents.
//!
//! Nothing of the input is ever passed through as HTML: every `<`, `>` and `&` of the text is
//! escaped, so raw HTML shows as text, and the only tags in the output are the ones written here.
//! Markdown outside the subset shows as the text it is typed as: emphasis with one `*` or `_`,
//! strikethrough, ordered or loose lists, code blocks, lazy continuation lines, link titles,
//! `<...>` autolinks, named character references other than `&lt;` `&gt;` `&amp;` `&quot;`
//! `&apos;` `&nbsp;`. An image `![alt](url)` is never loaded: it shows as `!` and a link. The
//! reports never write any of these (they escape every character that could start one).

/// The HTML of `markdown`; raw HTML in it is shown as text, never interpreted.
pub fn to_html(markdown: &str) -> String {
    let lines: Vec<&str> = markdown.lines().collect();
    let mut out = String::with_capacity(markdown.len() + markdown.len() / 2);
    blocks(&lines, false, &mut out);
    out
}

// ---------------------------------------------------------------------------------------------
// Blocks

/// Renders `lines` as a sequence of blocks. In a `tight` list item, paragraphs have no `<p>`.
fn blocks(lines: &[&str], tight: bool, out: &mut String) {
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if is_blank(line) {
            i += 1;
        } else if let Some((level, text)) = heading(line) {
            new_line(out);
            let tag = ["h1", "h2", "h3", "h4", "h5", "h6"][level - 1];
            out.push('<');
            out.push_str(tag);
            out.push('>');
            inline(text, out);
            out.push_str("</");
            out.push_str(tag);
            out.push_str(">\n");
            i += 1;
        } else if quote(line).is_some() {
            let mut inner = Vec::new();
            while let Some(rest) = lines.get(i).and_then(|l| quote(l)) {
                inner.push(rest);
                i += 1;
            }
            new_line(out);
            out.push_str("<blockquote>\n");
            blocks(&inner, false, out);
            out.push_str("</blockquote>\n");
        } else if bullet(line).is_some() {
            i = list(lines, i, out);
        } else if let Some(align) = table_start(lines, i) {
            i = table(lines, i, &align, out);
        } else if is_html_start(line) {
            // Raw HTML is shown as the text it is, line by line.
            while i < lines.len() && !is_blank(lines[i]) {
                escape(lines[i], out);
                out.push('\n');
                i += 1;
            }
        } else {
            let start = i;
            i += 1;
            while i < lines.len() && !interrupts_paragraph(lines, i) {
                i += 1;
            }
            let text: Vec<&str> = lines[start..i].iter().map(|l| l.trim_start()).collect();
            let text = text.join("\n");
            if !tight {
                new_line(out);
                out.push_str("<p>");
            }
            inline(text.trim_end(), out);
            if !tight {
                out.push_str("</p>\n");
            }
        }
    }
}

/// A line break before a block, unless the output is empty or already ends a line.
fn new_line(out: &mut String) {
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
}

fn is_blank(line: &str) -> bool {
    line.bytes().all(|b| b == b' ' || b == b'\t')
}

/// The number of leading spaces.
fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// `line` without its indentation of at most three spaces, if it has no more.
fn block_text(line: &str) -> Option<&str> {
    (indent(line) <= 3).then(|| line.trim_start_matches(' '))
}

/// An ATX heading: its level and its text without the closing `#`s.
fn heading(line: &str) -> Option<(usize, &str)> {
    let text = block_text(line)?;
    let level = text.bytes().take_while(|&b| b == b'#').count();
    let rest = &text[level..];
    if !(1..=6).contains(&level) || !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
        return None;
    }
    let rest = rest.trim_matches([' ', '\t']);
    let open = rest.trim_end_matches('#');
    Some(if open.is_empty() {
        (level, "")
    } else if open.ends_with([' ', '\t']) {
        (level, open.trim_end_matches([' ', '\t']))
    } else {
        (level, rest)
    })
}

/// The rest of a block quote line after `>` and one space.
fn quote(line: &str) -> Option<&str> {
    let rest = block_text(line)?.strip_prefix('>')?;
    Some(rest.strip_prefix(' ').unwrap_or(rest))
}

/// A `-` list item: the indentation of its marker and the text after the marker.
fn bullet(line: &str) -> Option<(usize, &str)> {
    let rest = block_text(line)?.strip_prefix('-')?;
    if rest.is_empty() {
        Some((indent(line), rest))
    } else {
        rest.strip_prefix(' ').map(|text| (indent(line), text))
    }
}

/// Raw HTML at the start of a block: `<` and a letter, `/`, `!` or `?`.
fn is_html_start(line: &str) -> bool {
    block_text(line).is_some_and(|t| {
        let b = t.as_bytes();
        b.first() == Some(&b'<')
            && b.get(1)
                .is_some_and(|c| c.is_ascii_alphabetic() || matches!(c, b'/' | b'!' | b'?'))
    })
}

/// Whether line `i` ends the paragraph before it (a blank line or the start of another block).
fn interrupts_paragraph(lines: &[&str], i: usize) -> bool {
    let line = lines[i];
    is_blank(line)
        || heading(line).is_some()
        || quote(line).is_some()
        || bullet(line).is_some_and(|(_, text)| !is_blank(text))
        || table_start(lines, i).is_some()
}

/// Renders the list that starts at line `start`; returns the index of the line after it.
fn list(lines: &[&str], start: usize, out: &mut String) -> usize {
    new_line(out);
    out.push_str("<ul>\n");
    let mut i = start;
    while let Some((marker, first)) = lines.get(i).and_then(|l| bullet(l)) {
        // The item: its first line and every following line indented past its marker.
        let mut item = vec![first];
        i += 1;
        while let Some(line) = lines.get(i) {
            if is_blank(line) || indent(line) < marker + 2 {
                break;
            }
            item.push(&line[marker + 2..]);
            i += 1;
        }
        new_line(out);
        out.push_str("<li>");
        let task = first
            .strip_prefix("[ ]")
            .map(|rest| (false, rest))
            .or_else(|| first.strip_prefix("[x]").map(|rest| (true, rest)))
            .or_else(|| first.strip_prefix("[X]").map(|rest| (true, rest)));
        if let Some((checked, rest)) =
            task.filter(|(_, rest)| rest.is_empty() || rest.starts_with([' ', '\t']))
        {
            out.push_str(if checked {
                "<input disabled=\"\" type=\"checkbox\" checked=\"\"/>\n"
            } else {
                "<input disabled=\"\" type=\"checkbox\"/>\n"
            });
            item[0] = rest.trim_start();
        }
        blocks(&item, true, out);
        out.push_str("</li>\n");
    }
    out.push_str("</ul>\n");
    i
}

/// Column alignment of a table.
#[derive(Clone, Copy, PartialEq)]
enum Align {
    None,
    Left,
    Center,
    Right,
}

/// The column alignments when lines `i` and `i + 1` are a table's header and delimiter rows
/// (both with a `|`, the same number of cells, and only `---`, `:--`, `--:`, `:-:` below).
fn table_start(lines: &[&str], i: usize) -> Option<Vec<Align>> {
    let (header, delimiter) = (lines[i], *lines.get(i + 1)?);
    if !header.contains('|') || !delimiter.contains('|') || block_text(header).is_none() {
        return None;
    }
    let align = cells(delimiter)
        .iter()
        .map(|cell| {
            let cell = cell.trim_matches([' ', '\t']);
            let dashes = cell.trim_start_matches(':').trim_end_matches(':');
            if dashes.is_empty()
                || !dashes.bytes().all(|b| b == b'-')
                || cell.len() > dashes.len() + 2
            {
                return None;
            }
            Some(match (cell.starts_with(':'), cell.ends_with(':')) {
                (true, true) => Align::Center,
                (true, false) => Align::Left,
                (false, true) => Align::Right,
                (false, false) => Align::None,
            })
        })
        .collect::<Option<Vec<Align>>>()?;
    (cells(header).len() == align.len()).then_some(align)
}

/// The cells of a table row: split at `|` that is not escaped as `\|` (which becomes `|`), without
/// the optional outer pipes.
fn cells(line: &str) -> Vec<String> {
    let mut row = line.trim_matches([' ', '\t']);
    row = row.strip_prefix('|').unwrap_or(row);
    if row.ends_with('|') && !row.ends_with("\\|") {
        row = &row[..row.len() - 1];
    }
    let mut cells = vec![String::new()];
    let mut chars = row.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '|' {
            cells.push(String::new());
            continue;
        }
        let cell = cells.last_mut().expect("a cell");
        if c == '\\' && chars.peek() == Some(&'|') {
            cell.push('|');
            chars.next();
        } else {
            cell.push(c);
        }
    }
    cells
}

/// Renders the table that starts at line `start`; returns the index of the line after it.
fn table(lines: &[&str], start: usize, align: &[Align], out: &mut String) -> usize {
    new_line(out);
    out.push_str("<table><thead><tr>");
    row(lines[start], "th", align, out);
    out.push_str("</tr></thead><tbody>\n");
    let mut i = start + 2;
    while let Some(line) = lines.get(i) {
        if is_blank(line)
            || heading(line).is_some()
            || quote(line).is_some()
            || bullet(line).is_some()
            || is_html_start(line)
        {
            break;
        }
        out.push_str("<tr>");
        row(line, "td", align, out);
        out.push_str("</tr>\n");
        i += 1;
    }
    out.push_str("</tbody></table>\n");
    i
}

/// One table row's cells: as many as there are columns (missing ones empty, extra ones dropped).
fn row(line: &str, tag: &str, align: &[Align], out: &mut String) {
    let cells = cells(line);
    for (column, &align) in align.iter().enumerate() {
        out.push('<');
        out.push_str(tag);
        out.push_str(match align {
            Align::None => "",
            Align::Left => " style=\"text-align: left\"",
            Align::Center => " style=\"text-align: center\"",
            Align::Right => " style=\"text-align: right\"",
        });
        out.push('>');
        if let Some(cell) = cells.get(column) {
            inline(cell.trim_matches([' ', '\t']), out);
        }
        out.push_str("</");
        out.push_str(tag);
        out.push('>');
    }
}

// ---------------------------------------------------------------------------------------------
// Inlines

/// Renders the inline Markdown of `text` (one block's text, lines joined by `\n`).
fn inline(text: &str, out: &mut String) {
    let b = text.as_bytes();
    // Text from `plain` up to `i` is still to be written (escaped).
    let mut plain = 0;
    let mut i = 0;
    while i < b.len() {
        let next = match b[i] {
            b'\\' => match b.get(i + 1) {
                Some(&c) if c.is_ascii_punctuation() => {
                    escape(&text[plain..i], out);
                    escape(&text[i + 1..i + 2], out);
                    Some(i + 2)
                }
                Some(b'\n') => {
                    escape(&text[plain..i], out);
                    out.push_str("<br />\n");
                    Some(i + 2)
                }
                _ => None,
            },
            b'\n' => {
                let line = &text[plain..i];
                let kept = line.trim_end_matches(' ');
                escape(kept, out);
                out.push_str(if line.len() - kept.len() >= 2 {
                    "<br />\n"
                } else {
                    "\n"
                });
                Some(i + 1 + indent(&text[i + 1..]))
            }
            b'`' => code_span(b, i).map(|(close, end)| {
                escape(&text[plain..i], out);
                out.push_str("<code>");
                let code = text[i + run(b, i, b'`')..close].replace('\n', " ");
                let code = match code.strip_prefix(' ').and_then(|c| c.strip_suffix(' ')) {
                    Some(inner) if !code.bytes().all(|c| c == b' ') => inner,
                    _ => &code,
                };
                escape(code, out);
                out.push_str("</code>");
                end
            }),
            b'&' => entity(&text[i..]).map(|(c, len)| {
                escape(&text[plain..i], out);
                escape(c.encode_utf8(&mut [0; 4]), out);
                i + len
            }),
            b'*' => strong(text, i).map(|close| {
                escape(&text[plain..i], out);
                out.push_str("<strong>");
                inline(&text[i + 2..close], out);
                out.push_str("</strong>");
                close + 2
            }),
            b'[' => link(text, i).map(|(label, destination, end)| {
                escape(&text[plain..i], out);
                let lower = destination.get(..8).unwrap_or("").to_ascii_lowercase();
                // Only web links survive; `javascript:` and the like keep their text only.
                let web = lower.starts_with("https://") || lower.starts_with("http://");
                if web {
                    out.push_str("<a href=\"");
                    escape_href(&destination, out);
                    out.push_str("\">");
                }
                inline(label, out);
                if web {
                    out.push_str("</a>");
                }
                end
            }),
            _ => None,
        };
        match next {
            Some(next) => {
                i = next;
                plain = next;
            }
            // A backtick run that opens no code span stays text as a whole.
            None if b[i] == b'`' => i += run(b, i, b'`'),
            None => i += 1,
        }
    }
    escape(&text[plain..], out);
}

/// The length of the run of `c` that starts at `i`.
fn run(b: &[u8], i: usize, c: u8) -> usize {
    b[i..].iter().take_while(|&&x| x == c).count()
}

/// The code span opened by the backtick run at `i`: the start and the end of its closing run (a
/// run of exactly as many backticks).
fn code_span(b: &[u8], i: usize) -> Option<(usize, usize)> {
    let n = run(b, i, b'`');
    let mut j = i + n;
    while j < b.len() {
        if b[j] == b'`' {
            let m = run(b, j, b'`');
            if m == n {
                return Some((j, j + m));
            }
            j += m;
        } else {
            j += 1;
        }
    }
    None
}

/// The position after the inline element at `j` that other delimiters cannot look into (an
/// escaped character or a code span), or after the byte at `j`.
fn skip(b: &[u8], j: usize) -> usize {
    match b[j] {
        b'\\' if b.get(j + 1).is_some_and(u8::is_ascii_punctuation) => j + 2,
        b'`' => code_span(b, j).map_or(j + run(b, j, b'`'), |(_, end)| end),
        _ => j + 1,
    }
}

/// The character before byte `i` and the one at byte `j`; a line's ends count as spaces.
fn around(text: &str, i: usize, j: usize) -> (char, char) {
    (
        text[..i].chars().next_back().unwrap_or(' '),
        text[j..].chars().next().unwrap_or(' '),
    )
}

/// CommonMark's punctuation (Unicode punctuation and symbols, approximated).
fn is_punctuation(c: char) -> bool {
    c.is_ascii_punctuation() || (!c.is_ascii() && !c.is_alphanumeric() && !c.is_whitespace())
}

/// Whether byte `k` is escaped: an odd number of backslashes right before it.
fn is_escaped(b: &[u8], k: usize) -> bool {
    b[..k].iter().rev().take_while(|&&c| c == b'\\').count() % 2 == 1
}

/// For `**` at `i` that opens strong emphasis: the position of its closing `**`.
fn strong(text: &str, i: usize) -> Option<usize> {
    let b = text.as_bytes();
    let flanking = |at: usize, left: bool| {
        let (before, after) = around(text, at, at + 2);
        let (inner, outer) = if left {
            (after, before)
        } else {
            (before, after)
        };
        !inner.is_whitespace()
            && (!is_punctuation(inner) || outer.is_whitespace() || is_punctuation(outer))
    };
    // A `*` right before belongs to the same delimiter run, unless it is escaped (`\*`).
    let joined = i > 0 && b[i - 1] == b'*' && !is_escaped(b, i - 1);
    if run(b, i, b'*') != 2 || joined || !flanking(i, true) {
        return None;
    }
    // A `**` that can only open before the closer takes that closer first (CommonMark matches a
    // closer with the nearest opener), so count the openers still waiting.
    let mut waiting = 0usize;
    let mut j = i + 2;
    while j < b.len() {
        if b[j] == b'*' {
            let n = run(b, j, b'*');
            if n == 2 && flanking(j, false) {
                if waiting == 0 {
                    return Some(j);
                }
                waiting -= 1;
            } else if n == 2 && flanking(j, true) {
                waiting += 1;
            }
            j += n;
        } else {
            j = skip(b, j);
        }
    }
    None
}

/// For `[` at `i` that starts a link `[label](destination)` or `[label](<destination>)`: the
/// label, the destination (unescaped) and the position after the link.
fn link(text: &str, i: usize) -> Option<(&str, String, usize)> {
    let b = text.as_bytes();
    let mut depth = 0;
    let mut j = i;
    let close = loop {
        match b.get(j)? {
            b'[' => depth += 1,
            b']' => {
                depth -= 1;
                if depth == 0 {
                    break j;
                }
            }
            _ => {}
        }
        j = skip(b, j);
    };
    if b.get(close + 1) != Some(&b'(') {
        return None;
    }
    let start = close + 2;
    let (raw, mut end) = if b.get(start) == Some(&b'<') {
        let mut k = start + 1;
        loop {
            match b.get(k)? {
                b'>' => break (&text[start + 1..k], k + 1),
                b'<' | b'\n' => return None,
                b'\\' => k += 2,
                _ => k += 1,
            }
        }
    } else {
        let mut k = start;
        let mut parens = 0;
        while let Some(&c) = b.get(k) {
            match c {
                b'(' => parens += 1,
                b')' if parens == 0 => break,
                b')' => parens -= 1,
                b'\\' if b.get(k + 1).is_some_and(u8::is_ascii_punctuation) => k += 1,
                c if c <= b' ' => break,
                _ => {}
            }
            k += 1;
        }
        (&text[start..k], k)
    };
    while b.get(end).is_some_and(|&c| c == b' ' || c == b'\n') {
        end += 1;
    }
    if b.get(end) != Some(&b')') {
        return None;
    }
    Some((&text[i + 1..close], unescape(raw), end + 1))
}

/// `text` with backslash escapes and character references resolved.
fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        let next = rest.as_bytes().get(1);
        if c == '\\' && next.is_some_and(u8::is_ascii_punctuation) {
            out.push_str(&rest[1..2]);
            rest = &rest[2..];
        } else if let Some((c, len)) = entity(rest).filter(|_| c == '&') {
            out.push(c);
            rest = &rest[len..];
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

/// The character of the character reference at the start of `text` (`&lt;`, `&#60;`, `&#x3C;`)
/// and its length.
fn entity(text: &str) -> Option<(char, usize)> {
    let body = text.strip_prefix('&')?;
    let end = body.find(';')?;
    let name = &body[..end];
    let c = if let Some(number) = name.strip_prefix('#') {
        let (digits, radix, max) = match number.strip_prefix(['x', 'X']) {
            Some(hex) => (hex, 16, 6),
            None => (number, 10, 7),
        };
        if digits.is_empty() || digits.len() > max || !digits.chars().all(|c| c.is_digit(radix)) {
            return None;
        }
        u32::from_str_radix(digits, radix)
            .ok()
            .filter(|&n| n != 0)
            .and_then(char::from_u32)
            .unwrap_or('\u{FFFD}')
    } else {
        match name {
            "lt" => '<',
            "gt" => '>',
            "amp" => '&',
            "quot" => '"',
            "apos" => '\'',
            "nbsp" => '\u{A0}',
            _ => return None,
        }
    };
    Some((c, end + 2))
}

/// Appends `text` as HTML text: `&`, `<` and `>` escaped, invisible format characters (bidi
/// controls, zero-width characters) shown as U+FFFD as the reports' escaping shows them.
fn escape(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            c if crate::report::is_invisible_format(c) => out.push('\u{FFFD}'),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            _ => out.push(c),
        }
    }
}

/// Appends a link destination for a double-quoted `href`: bytes outside a safe set
/// percent-encoded, `&` and `'` as character references.
fn escape_href(url: &str, out: &mut String) {
    for &byte in url.as_bytes() {
        match byte {
            b'&' => out.push_str("&amp;"),
            b'\'' => out.push_str("&#x27;"),
            b'!'
            | b'#'..=b'%'
            | b'('..=b';'
            | b'='
            | b'?'..=b'Z'
            | b'^'
            | b'_'
            | b'a'..=b'z'
            | b'~' => out.push(char::from(byte)),
            _ => {
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                out.push('%');
                out.push(char::from(HEX[usize::from(byte >> 4)]));
                out.push(char::from(HEX[usize::from(byte & 15)]));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(markdown: &str, expected: &str) {
        assert_eq!(to_html(markdown), expected, "{markdown}");
    }

    #[test]
    fn markdown_table() {
        check("# T\n", "<h1>T</h1>\n");
        check(
            "| a | b |\n|---|---:|\n| 1 | 2 |\n",
            "<table><thead><tr><th>a</th><th style=\"text-align: right\">b</th></tr></thead><tbody>\n<tr><td>1</td><td style=\"text-align: right\">2</td></tr>\n</tbody></table>\n",
        );
        check(
            "- [x] done\n",
            "<ul>\n<li><input disabled=\"\" type=\"checkbox\" checked=\"\"/>\ndone</li>\n</ul>\n",
        );
        // Raw HTML is shown, not run.
        check(
            "<script>alert(1)</script>\n",
            "&lt;script&gt;alert(1)&lt;/script&gt;\n",
        );
        check("a <b>b</b>\n", "<p>a &lt;b&gt;b&lt;/b&gt;</p>\n");
        check("[x](javascript:alert(1))\n", "<p>x</p>\n");
        check(
            "[x](https://example.com)\n",
            "<p><a href=\"https://example.com\">x</a></p>\n",
        );
    }

    #[test]
    fn block_table() {
        // Headings: levels 1 to 6, closing `#`s dropped, an escaped `#` kept.
        check(
            "## a ##\n### b \\#\n#no\n",
            "<h2>a</h2>\n<h3>b #</h3>\n<p>#no</p>\n",
        );
        check("####### seven\n", "<p>####### seven</p>\n");
        // Paragraph lines stay one paragraph; a blank line ends it.
        check("a\nb\n\nc\n", "<p>a\nb</p>\n<p>c</p>\n");
        // Tight lists with nested task items, as the sign-off writes them.
        check(
            "- [ ] top\n  - [x] nested\n- **Approved by:** me\n- \n",
            "<ul>\n<li><input disabled=\"\" type=\"checkbox\"/>\ntop\n<ul>\n<li><input disabled=\"\" type=\"checkbox\" checked=\"\"/>\nnested</li>\n</ul>\n</li>\n<li><strong>Approved by:</strong> me</li>\n<li></li>\n</ul>\n",
        );
        // `[x]` without a space after it is text.
        check("- [x]x\n", "<ul>\n<li>[x]x</li>\n</ul>\n");
        check(
            "> note \\| *x*\n",
            "<blockquote>\n<p>note | *x*</p>\n</blockquote>\n",
        );
        // Alignment; missing cells are empty, extra ones dropped; `\|` is a pipe in a cell.
        check(
            "| a | b | c |\n|:--|:-:|---|\n| 1 |\n| 1 | 2 | 3 | 4 |\n| x\\|y | `p\\|q` | \\\\ |\n",
            "<table><thead><tr><th style=\"text-align: left\">a</th><th style=\"text-align: center\">b</th><th>c</th></tr></thead><tbody>\n\
             <tr><td style=\"text-align: left\">1</td><td style=\"text-align: center\"></td><td></td></tr>\n\
             <tr><td style=\"text-align: left\">1</td><td style=\"text-align: center\">2</td><td>3</td></tr>\n\
             <tr><td style=\"text-align: left\">x|y</td><td style=\"text-align: center\"><code>p|q</code></td><td>\\</td></tr>\n\
             </tbody></table>\n",
        );
        // Not a table: the delimiter row has another number of cells, or is no delimiter row.
        check("| a | b |\n|---|\n", "<p>| a | b |\n|---|</p>\n");
        check("| a |\n| b |\n", "<p>| a |\n| b |</p>\n");
        // A table ends at a blank line; a table right after a paragraph line starts a block.
        check(
            "p\n| a |\n|---|\n| 1 |\n\nq\n",
            "<p>p</p>\n<table><thead><tr><th>a</th></tr></thead><tbody>\n<tr><td>1</td></tr>\n</tbody></table>\n<p>q</p>\n",
        );
        // Markdown outside the subset is text (never code blocks, images or raw HTML).
        check("    indented\n", "<p>indented</p>\n");
        check(
            "<div onclick=\"x()\">\nhi\n\np\n",
            "&lt;div onclick=\"x()\"&gt;\nhi\n<p>p</p>\n",
        );
    }

    #[test]
    fn inline_table() {
        for (markdown, expected) in [
            // Backslash escapes: the literal character; a backslash before a letter stays.
            (
                "\\*a\\* \\_b\\_ \\[c\\] \\` \\\\ \\| \\# \\a",
                "*a* _b_ [c] ` \\ | # \\a",
            ),
            // Character references: `&lt;` `&gt;` `&amp;` and numeric ones; others are text.
            (
                "&lt;b&gt; &amp;amp; &#60; &#x3C; &#0; &copy; & x",
                "&lt;b&gt; &amp;amp; &lt; &lt; \u{FFFD} &amp;copy; &amp; x",
            ),
            (
                "**b** a**b** **x:** y ** z **",
                "<strong>b</strong> a<strong>b</strong> <strong>x:</strong> y ** z **",
            ),
            (
                "**open `**` code**",
                "<strong>open <code>**</code> code</strong>",
            ),
            ("*em* _em_ ~~s~~ ***x***", "*em* _em_ ~~s~~ ***x***"),
            // An escaped `*` before `**` is text; the `**` still opens.
            ("=\\***a**", "=*<strong>a</strong>"),
            // A closer goes to the nearest opener.
            ("**a;**3 **b =** c", "**a;**3 <strong>b =</strong> c"),
            ("**a **b** c**", "<strong>a <strong>b</strong> c</strong>"),
            ("`a` `` b`c `` ` x", "<code>a</code> <code>b`c</code> ` x"),
            (
                "`<script>` \\`not code\\`",
                "<code>&lt;script&gt;</code> `not code`",
            ),
            // Links: only http(s), in either destination form, the href percent-encoded.
            (
                "[a](https://x.example/?q=1&r='2')",
                "<a href=\"https://x.example/?q=1&amp;r=&#x27;2&#x27;\">a</a>",
            ),
            (
                "[a](<HTTP://x.example/a%20b[c]\">)",
                "<a href=\"HTTP://x.example/a%20b%5Bc%5D%22\">a</a>",
            ),
            (
                "[**b** \\[x\\]](<https://x.example/>)",
                "<a href=\"https://x.example/\"><strong>b</strong> [x]</a>",
            ),
            (
                "[a](javascript:alert(1)) [b](data:text/html,x) [c](/relative)",
                "a b c",
            ),
            (
                "![img](https://x.example/i.png)",
                "!<a href=\"https://x.example/i.png\">img</a>",
            ),
            (
                "[not a link] [x] (y) [a](<b) \\[c\\](https://x)",
                "[not a link] [x] (y) [a](&lt;b) [c](https://x)",
            ),
            (
                "a <https://x.example> <img src=x onerror=alert(1)>",
                "a &lt;https://x.example&gt; &lt;img src=x onerror=alert(1)&gt;",
            ),
            ("line  \nbreak", "line<br />\nbreak"),
        ] {
            check(markdown, &format!("<p>{expected}</p>\n"));
        }
    }

    const GOLDEN: [(&str, &str); 8] = [
        ("email-demo", include_str!("../tests/golden/email-demo.md")),
        (
            "email-empty",
            include_str!("../tests/golden/email-empty.md"),
        ),
        (
            "email-failing",
            include_str!("../tests/golden/email-failing.md"),
        ),
        (
            "email-hostile",
            include_str!("../tests/golden/email-hostile.md"),
        ),
        (
            "signoff-demo",
            include_str!("../tests/golden/signoff-demo.md"),
        ),
        (
            "signoff-empty",
            include_str!("../tests/golden/signoff-empty.md"),
        ),
        (
            "signoff-failing",
            include_str!("../tests/golden/signoff-failing.md"),
        ),
        (
            "signoff-hostile",
            include_str!("../tests/golden/signoff-hostile.md"),
        ),
    ];

    /// The tags of `html` (`<...>`), in order.
    fn tags(html: &str) -> Vec<&str> {
        let mut tags = Vec::new();
        let mut rest = html;
        while let Some(start) = rest.find('<') {
            let end = start + rest[start..].find('>').expect("closed tag") + 1;
            tags.push(&rest[start..end]);
            rest = &rest[end..];
        }
        tags
    }

    /// What a reader sees: the text of `html` without tags, its references resolved.
    fn visible(html: &str) -> String {
        let mut text = String::new();
        for (i, part) in html.split('<').enumerate() {
            text.push_str(if i == 0 {
                part
            } else {
                part.split_once('>').expect("closed tag").1
            });
        }
        text.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&")
    }

    /// Every tag of `html` is one this renderer writes; links go to http(s) only.
    fn assert_only_known_tags(name: &str, html: &str) {
        const KNOWN: &[&str] = &[
            "p",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "ul",
            "li",
            "blockquote",
            "table",
            "thead",
            "tbody",
            "tr",
            "th",
            "td",
            "strong",
            "code",
            "a",
        ];
        for tag in tags(html) {
            let name_of = tag
                .trim_matches(['<', '>', '/'])
                .split(' ')
                .next()
                .unwrap_or("");
            let known = match tag {
                "<br />" | "<input disabled=\"\" type=\"checkbox\"/>" => true,
                "<input disabled=\"\" type=\"checkbox\" checked=\"\"/>" => true,
                _ if tag.starts_with("<a ") => tag
                    .strip_prefix("<a href=\"")
                    .and_then(|t| t.strip_suffix("\">"))
                    .is_some_and(|href| {
                        (href.starts_with("https://") || href.starts_with("http://"))
                            && !href.contains(['"', '<', '>', ' ', '\'', '\\'])
                    }),
                _ if tag.starts_with("<th ") || tag.starts_with("<td ") => {
                    tag.ends_with(" style=\"text-align: right\">")
                }
                _ => KNOWN.contains(&name_of) && !tag.contains(' '),
            };
            assert!(known, "{name}: unexpected tag {tag}");
        }
    }

    #[test]
    fn golden_reports_render_as_their_markdown_says() {
        for (name, markdown) in GOLDEN {
            let html = to_html(markdown);
            assert_only_known_tags(name, &html);
            let lines: Vec<&str> = markdown.lines().collect();
            let count = |tag: &str| html.matches(tag).count();

            // Every table is a <table>, each row with its header's number of cells.
            let tables: Vec<&str> = html.split("<table>").skip(1).collect();
            let delimiter_rows: Vec<usize> = (0..lines.len())
                .filter(|&i| lines[i].starts_with("|---") || lines[i].starts_with("|:-"))
                .collect();
            assert_eq!(tables.len(), delimiter_rows.len(), "{name}: tables");
            for (table, &delimiter) in tables.iter().zip(&delimiter_rows) {
                let table = table.split("</table>").next().unwrap_or("");
                let columns = lines[delimiter].matches('-').count() / 3;
                let body_rows = lines[delimiter + 1..]
                    .iter()
                    .take_while(|l| l.starts_with('|'))
                    .count();
                assert_eq!(table.matches("<tr>").count(), 1 + body_rows, "{name}: rows");
                for row in table.split("<tr>").skip(1) {
                    let cells = row.matches("<th").count() + row.matches("<td").count();
                    assert_eq!(cells, columns, "{name}: cells of {row}");
                }
            }

            // Headings, list items, task boxes, strong text and quotes as written.
            let heading_lines = lines.iter().filter(|l| l.starts_with('#')).count();
            let headings: usize = (1..=6).map(|n| count(&format!("<h{n}>"))).sum();
            assert_eq!(headings, heading_lines, "{name}: headings");
            let items = lines
                .iter()
                .filter(|l| l.trim_start().starts_with("- "))
                .count();
            assert_eq!(count("<li>"), items, "{name}: list items");
            let tasks = lines
                .iter()
                .filter(|l| {
                    ["- [x] ", "- [ ] "]
                        .iter()
                        .any(|t| l.trim_start().starts_with(t))
                })
                .count();
            assert_eq!(count("type=\"checkbox\""), tasks, "{name}: task boxes");
            assert_eq!(
                count("<strong>"),
                markdown.matches("**").count() / 2,
                "{name}: strong"
            );
            let quotes = lines.iter().filter(|l| l.starts_with("> ")).count();
            assert_eq!(count("<blockquote>"), quotes, "{name}: quotes");

            // Nothing from the data became markup, and no escape is left for the reader.
            assert!(
                !html.contains("<script") && !html.contains("<img"),
                "{name}"
            );
            let text = visible(&html);
            for escape in [
                "\\|", "\\*", "\\_", "\\[", "\\]", "\\`", "\\:", "&lt;", "&amp;lt;",
            ] {
                assert!(
                    !text.contains(escape),
                    "{name}: {escape:?} left in the text"
                );
            }
            if name.ends_with("hostile") {
                for literal in [
                    "| x | <script>alert(1)</script> [link](http://evil) # heading",
                    "``` `tick` *b* _i_ ![img](x) <img src=x onerror=alert(1)> \\ &amp; ---",
                ] {
                    assert!(
                        text.contains(literal),
                        "{name}: {literal:?} not shown as text"
                    );
                }
            }
        }
    }

    #[test]
    fn dashboard_links() {
        let demo = to_html(GOLDEN[0].1);
        assert!(demo.contains(
            "<p><strong>Dashboard:</strong> <a href=\"https://example.github.io/canary-console/\">https://example.github.io/canary-console/</a></p>\n"
        ));
        // The hostile URL stays one link, percent-encoded, with its text shown as typed.
        let hostile = to_html(GOLDEN[3].1);
        assert!(hostile.contains(
            "<a href=\"https://x.example/a%20b%3E)%3Cscript%3Ealert(1)%3C/script%3E%5By%5D(z)%0A#%20h\">https://x.example/a b&gt;)&lt;script&gt;alert(1)&lt;/script&gt;[y](z) # h</a></p>\n"
        ));
        assert_eq!(hostile.matches("<a ").count(), 1);
        // An email without a URL has no link.
        assert!(!to_html(GOLDEN[1].1).contains("<a "));
    }
}
