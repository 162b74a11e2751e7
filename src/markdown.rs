//! Markdown → HTML for the report preview (GitHub-flavoured: tables, task lists). Raw HTML in the
//! input is shown as text, never interpreted: the reports already escape what comes from data,
//! and the preview does not trust that alone.

use pulldown_cmark::{html, Event, Options, Parser, Tag, TagEnd};

/// The HTML of `markdown`, with any raw HTML turned into visible text.
pub fn to_html(markdown: &str) -> String {
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_TASKLISTS | Options::ENABLE_STRIKETHROUGH;
    // Links cannot nest, so one flag pairs a dropped link's start with its end.
    let mut dropping_link = false;
    let events = Parser::new_ext(markdown, options).filter_map(move |event| match event {
        Event::Html(text) | Event::InlineHtml(text) => Some(Event::Text(text)),
        // Only web links survive; `javascript:` and the like keep their text, not the link.
        Event::Start(Tag::Link { ref dest_url, .. })
            if !(dest_url.starts_with("https://") || dest_url.starts_with("http://")) =>
        {
            dropping_link = true;
            None
        }
        Event::End(TagEnd::Link) if dropping_link => {
            dropping_link = false;
            None
        }
        other => Some(other),
    });
    let mut out = String::new();
    html::push_html(&mut out, events);
    out
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
}
