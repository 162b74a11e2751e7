//! The preview renderer ([`canary_core::markdown::to_html`]) against pulldown-cmark, the
//! CommonMark implementation it claims parity with: byte-identical HTML on every golden report
//! and on generated documents made of what the reports write.
//!
//! The subset that must be identical is what `canary_core::report` writes: ATX headings,
//! paragraphs, tight `-` lists (nested, with task items), block quotes, GFM tables with
//! alignment, `**strong**`, code spans, `http(s)` links, and text escaped by
//! [`canary_core::report::escape_markdown`] (backslash escapes and `&lt;` `&gt;` `&amp;`).
//! Outside it the renderer differs on purpose, and `deliberate_differences` pins those cases:
//! raw HTML is shown as text, links to anything but `http(s)` are plain text, and images are
//! never loaded.

use std::path::PathBuf;

use canary_core::markdown::to_html;
use canary_core::report::escape_markdown;
use pulldown_cmark::{html, Options, Parser};
use stdx::rand::SplitMix64;

/// The HTML pulldown-cmark writes for `markdown` with the GitHub extensions the reports use.
fn reference(markdown: &str) -> String {
    let parser = Parser::new_ext(markdown, Options::ENABLE_TABLES | Options::ENABLE_TASKLISTS);
    let mut out = String::new();
    html::push_html(&mut out, parser);
    out
}

fn check_identical(name: &str, markdown: &str) {
    let (ours, theirs) = (to_html(markdown), reference(markdown));
    if ours != theirs {
        let first = ours
            .lines()
            .zip(theirs.lines())
            .find(|(a, b)| a != b)
            .unwrap_or_default();
        panic!(
            "{name}: the preview differs from pulldown-cmark\n--- markdown\n{markdown}\n--- ours\n{ours}\n--- pulldown-cmark\n{theirs}\n--- first differing line\nours:   {}\ntheirs: {}",
            first.0, first.1
        );
    }
}

#[test]
fn golden_reports_render_as_pulldown_cmark_renders_them() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("the golden directory")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "md"))
        .collect();
    names.sort();
    assert!(names.len() >= 8, "golden reports found: {names:?}");
    for path in names {
        let markdown = std::fs::read_to_string(&path).expect("a golden report");
        check_identical(&path.display().to_string(), &markdown);
    }
}

/// The documents' random draws.
struct Rng(SplitMix64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0.below(n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// Raw text as a person or the data could supply it: words, Markdown and HTML punctuation,
/// non-ASCII, control characters.
fn raw_text(rng: &mut Rng) -> String {
    const PIECES: &[&str] = &[
        "word",
        "P95",
        "12",
        "3.",
        "1)",
        " ",
        " ",
        "  ",
        "|",
        "<",
        ">",
        "&",
        "&amp;",
        "&lt;",
        "*",
        "**",
        "_",
        "__",
        "`",
        "``",
        "[",
        "]",
        "(",
        ")",
        "#",
        "-",
        "+",
        "=",
        ".",
        ":",
        "//",
        "http://x.example",
        "\\",
        "!",
        "~",
        "~~",
        "$",
        "é",
        "🚨",
        "\n",
        "\t",
        "\r\n",
        "'",
        "\"",
        "<script>",
        "![i](x)",
        "[l](y)",
        "---",
        "> ",
        "- [x] ",
    ];
    (0..1 + rng.below(8)).map(|_| rng.pick(PIECES)).collect()
}

/// One inline span the way the reports write one: escaped text, strong text, a code span or a
/// link to an `http(s)` page.
fn span(rng: &mut Rng) -> String {
    let escaped = escape_markdown(&raw_text(rng));
    match rng.below(6) {
        0 if !escaped.is_empty() => format!("**{escaped}**"),
        1 => format!(
            "`{}`",
            rng.pick(&["code", "a b", "x_y", "1 < 2", "p&q", "**"])
        ),
        2 if !escaped.is_empty() => format!(
            "[{escaped}]({})",
            rng.pick(&[
                "https://x.example/",
                "http://x.example/a?b=1&c=2",
                "https://x.example/%20"
            ])
        ),
        _ => escaped,
    }
}

/// A line of inline Markdown: spans joined by spaces or written next to each other, except
/// that two strong spans are never adjacent (`**a****b**`: the reports never write that, and
/// the renderer does not implement CommonMark's rule for a run of four delimiters), and a link
/// never follows a `!` (that is an image, which the preview never loads).
fn inline_text(rng: &mut Rng) -> String {
    let mut line = String::new();
    for i in 0..1 + rng.below(4) {
        let next = span(rng);
        let must_part = (line.ends_with("**") && next.starts_with("**"))
            || (line.ends_with('!') && next.starts_with('['));
        if i > 0 && (must_part || rng.below(3) > 0) {
            line.push(' ');
        }
        line.push_str(&next);
    }
    line
}

/// A non-empty inline line that starts with its text, as every line the reports write.
fn nonempty_inline(rng: &mut Rng) -> String {
    loop {
        let line = inline_text(rng);
        if !line.trim().is_empty() {
            return line.trim_start().to_owned();
        }
    }
}

/// A table cell: inline text with its pipes escaped, as the reports write cells.
fn cell(rng: &mut Rng) -> String {
    inline_text(rng)
        .replace('|', "\\|")
        .replace("\\\\|", "\\\\\\|")
}

/// One block of a report: heading, paragraph, list, block quote or table.
fn block(rng: &mut Rng) -> String {
    match rng.below(5) {
        0 => format!(
            "{} {}\n",
            "#".repeat(1 + rng.below(3)),
            nonempty_inline(rng)
        ),
        1 => {
            let lines: Vec<String> = (0..1 + rng.below(3))
                .map(|_| nonempty_inline(rng))
                .collect();
            format!("{}\n", lines.join("\n"))
        }
        2 => {
            let mut list = String::new();
            for _ in 0..1 + rng.below(4) {
                let nested = !list.is_empty() && rng.below(3) == 0;
                let task = rng.pick(&["", "", "[x] ", "[ ] "]);
                list.push_str(&format!(
                    "{}- {task}{}\n",
                    if nested { "  " } else { "" },
                    nonempty_inline(rng)
                ));
            }
            list
        }
        3 => format!("> {}\n", nonempty_inline(rng)),
        _ => {
            let columns = 1 + rng.below(4);
            let row = |rng: &mut Rng| {
                let cells: Vec<String> = (0..columns).map(|_| cell(rng)).collect();
                format!("| {} |\n", cells.join(" | "))
            };
            let mut table = row(rng);
            let delimiter: Vec<&str> = (0..columns)
                .map(|_| rng.pick(&["---", "---:", ":---", ":---:"]))
                .collect();
            table.push_str(&format!("|{}|\n", delimiter.join("|")));
            for _ in 0..rng.below(4) {
                table.push_str(&row(rng));
            }
            table
        }
    }
}

#[test]
fn generated_reports_render_as_pulldown_cmark_renders_them() {
    let mut rng = Rng(SplitMix64::new(0x00C0_FFEE));
    for n in 0..3000 {
        let mut blocks: Vec<String> = Vec::new();
        for _ in 0..1 + rng.below(5) {
            let next = block(&mut rng);
            // A list right after a list is one loose list in CommonMark; the reports write
            // tight lists only, so two lists are always parted by another block.
            let is_list = |b: &str| b.starts_with("- ");
            if blocks.last().is_some_and(|b| is_list(b)) && is_list(&next) {
                continue;
            }
            blocks.push(next);
        }
        let markdown = blocks.join("\n");
        check_identical(&format!("generated document {n}"), &markdown);
    }
}

/// Outside the reports' subset the renderer differs from CommonMark on purpose: nothing typed
/// into a report becomes HTML, a script link or an image.
#[test]
fn deliberate_differences() {
    for (markdown, ours, theirs) in [
        ("<div>\nx\n", "&lt;div&gt;\nx\n", "<div>\nx\n"),
        (
            "a <i>b</i>\n",
            "<p>a &lt;i&gt;b&lt;/i&gt;</p>\n",
            "<p>a <i>b</i></p>\n",
        ),
        (
            "[x](javascript:alert(1))\n",
            "<p>x</p>\n",
            "<p><a href=\"javascript:alert(1)\">x</a></p>\n",
        ),
        (
            "![i](https://x.example/i.png)\n",
            "<p>!<a href=\"https://x.example/i.png\">i</a></p>\n",
            "<p><img src=\"https://x.example/i.png\" alt=\"i\" /></p>\n",
        ),
        ("*em*\n", "<p>*em*</p>\n", "<p><em>em</em></p>\n"),
    ] {
        assert_eq!(to_html(markdown), ours, "{markdown}");
        assert_eq!(reference(markdown), theirs, "{markdown}");
    }
}
