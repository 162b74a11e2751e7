//! A report as HTML for mail clients: the preview renderer's HTML ([`crate::markdown::to_html`],
//! the same HTML the page previews) with inline styles, because Gmail and Outlook drop `<style>`
//! sheets and never load external ones.
//!
//! What the styling adds: borders and padding on every table cell, a shaded header row, status
//! colours on table cells and list items that start with a status mark (✅ green; ⚠️ 🟡 ⏳ amber or
//! grey; ❌ 🔴 🚨 red), monospace code, and read-only check marks (☑ ☐) in place of task-list
//! checkboxes, which mail clients strip. What it never adds: scripts, stylesheets, images,
//! fonts or any other resource a client would fetch; the only URLs are the report's own `http(s)`
//! links. The text is exactly the rendered Markdown's: styling only adds attributes.
//!
//! The input must be the renderer's output, where every `<` is a tag the renderer wrote (text is
//! escaped), so rewriting tags here cannot touch the report's text.

/// Text colour, background and border colour of a status mark.
#[derive(Clone, Copy)]
struct Tone {
    text: &'static str,
    background: &'static str,
}

const GOOD: Tone = Tone {
    text: "#116329",
    background: "#dafbe1",
};
const WARN: Tone = Tone {
    text: "#7d4e00",
    background: "#fff8c5",
};
const BAD: Tone = Tone {
    text: "#a40e26",
    background: "#ffebe9",
};
const PENDING: Tone = Tone {
    text: "#57606a",
    background: "#f6f8fa",
};

/// The status marks the reports write, with their tones.
const MARKS: [(&str, Tone); 8] = [
    ("✅", GOOD),
    ("⚠️", WARN),
    ("🟡", WARN),
    ("⏳", PENDING),
    ("➖", PENDING),
    ("❌", BAD),
    ("🔴", BAD),
    ("🚨", BAD),
];

const FONT: &str = "-apple-system,BlinkMacSystemFont,'Segoe UI',Helvetica,Arial,sans-serif";

/// The base style of each tag the renderer writes.
fn tag_style(name: &str) -> Option<&'static str> {
    Some(match name {
        "h1" => "margin:0 0 12px;font-size:22px;line-height:1.3;color:#1f2328",
        "h2" => "margin:20px 0 8px;font-size:18px;line-height:1.3;color:#1f2328;border-bottom:1px solid #d0d7de;padding-bottom:4px",
        "h3" => "margin:16px 0 6px;font-size:15px;line-height:1.3;color:#1f2328",
        "h4" | "h5" | "h6" => "margin:12px 0 4px;font-size:14px;color:#1f2328",
        "p" => "margin:0 0 10px",
        "ul" => "margin:0 0 10px;padding-left:22px",
        "li" => "margin:2px 0",
        "blockquote" => "margin:0 0 10px;padding:0 12px;border-left:4px solid #d0d7de;color:#57606a",
        "table" => "border-collapse:collapse;border:1px solid #d0d7de;margin:0 0 12px;font-size:13px",
        "th" => "border:1px solid #d0d7de;padding:5px 9px;background:#f6f8fa;font-weight:600;text-align:left",
        "td" => "border:1px solid #d0d7de;padding:5px 9px;vertical-align:top",
        "code" => "font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;background:#f6f8fa;padding:1px 4px;border-radius:4px",
        "a" => "color:#0969da;text-decoration:underline",
        _ => return None,
    })
}

/// The tone of the text at the start of `rest` (after a `<strong>` label like "Status:").
fn tone_of(rest: &str) -> Option<Tone> {
    let mut text = rest;
    if let Some(after) = text.strip_prefix("<strong>") {
        text = after
            .split_once("</strong>")
            .map_or(after, |(_, tail)| tail);
        text = text.trim_start();
    }
    MARKS
        .iter()
        .find(|(mark, _)| text.starts_with(mark))
        .map(|(_, tone)| *tone)
}

/// The value of attribute `name` in a tag's attribute text (`href="x" style="y"`).
fn attribute<'a>(attrs: &'a str, name: &str) -> Option<&'a str> {
    let start = attrs.find(&format!("{name}=\""))? + name.len() + 2;
    let end = attrs[start..].find('"')? + start;
    Some(&attrs[start..end])
}

/// `html` (the renderer's output) with inline styles for mail clients.
pub fn style_for_email(html: &str) -> String {
    let mut out = String::with_capacity(html.len() * 3);
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('>').map(|c| c + open) else {
            // Not a tag the renderer wrote: keep it as it is.
            out.push_str(&rest[open..]);
            return out;
        };
        let tag = &rest[open + 1..close];
        let after = &rest[close + 1..];
        rest = after;
        if tag.starts_with('/') {
            out.push('<');
            out.push_str(tag);
            out.push('>');
            continue;
        }
        let body = tag.strip_suffix('/').unwrap_or(tag);
        let (name, attrs) = body.split_once(' ').unwrap_or((body, ""));
        if name == "input" {
            // A task-list checkbox: mail clients drop form controls.
            out.push_str(if attrs.contains("checked") {
                "☑"
            } else {
                "☐"
            });
            continue;
        }
        let Some(base) = tag_style(name) else {
            out.push('<');
            out.push_str(tag);
            out.push('>');
            continue;
        };
        let mut style = base.to_owned();
        if let Some(align) = attribute(attrs, "style") {
            style.push(';');
            style.push_str(align);
        }
        if matches!(name, "td" | "li") {
            if let Some(tone) = tone_of(after) {
                style.push_str(";color:");
                style.push_str(tone.text);
                if name == "td" {
                    style.push_str(";background:");
                    style.push_str(tone.background);
                } else {
                    style.push_str(";font-weight:600");
                }
            }
        }
        out.push('<');
        out.push_str(name);
        if let Some(href) = attribute(attrs, "href") {
            out.push_str(" href=\"");
            out.push_str(href);
            out.push('"');
        }
        out.push_str(" style=\"");
        out.push_str(&style);
        out.push_str("\">");
    }
    out.push_str(rest);
    out
}

/// The report `markdown` as a styled HTML fragment (one `<div>`): what the page copies for
/// pasting into a mail client.
pub fn email_fragment(markdown: &str) -> String {
    let body = style_for_email(&crate::markdown::to_html(markdown));
    format!(
        "<div style=\"font-family:{FONT};font-size:14px;line-height:1.5;color:#1f2328;max-width:820px\">\n{body}</div>\n"
    )
}

/// The report `markdown` as a whole HTML document for the text/html part of an email, titled
/// `subject` (escaped).
pub fn email_document(subject: &str, markdown: &str) -> String {
    let mut title = String::with_capacity(subject.len());
    for c in subject.chars() {
        match c {
            '&' => title.push_str("&amp;"),
            '<' => title.push_str("&lt;"),
            '>' => title.push_str("&gt;"),
            c if c.is_control() => title.push(' '),
            c => title.push(c),
        }
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n</head>\n\
         <body style=\"margin:0;padding:16px;background:#ffffff\">\n{}</body>\n</html>\n",
        email_fragment(markdown)
    )
}

/// The email's body: the report's Markdown without its first line when that is the
/// `Subject:` line (a mail carries the subject in its header).
pub fn body_markdown(report: &str) -> &str {
    match report.split_once('\n') {
        Some((first, rest)) if first.starts_with("Subject: ") => rest.trim_start_matches('\n'),
        _ => report,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(html: &str, expected: &str) {
        assert_eq!(style_for_email(html), expected, "{html}");
    }

    #[test]
    fn styling_table() {
        check("", "");
        check("plain &lt;b&gt; text", "plain &lt;b&gt; text");
        check("<p>a</p>\n", "<p style=\"margin:0 0 10px\">a</p>\n");
        check(
            "<td style=\"text-align: right\">1</td>",
            "<td style=\"border:1px solid #d0d7de;padding:5px 9px;vertical-align:top;text-align: right\">1</td>",
        );
        check(
            "<td>✅ pass</td>",
            "<td style=\"border:1px solid #d0d7de;padding:5px 9px;vertical-align:top;color:#116329;background:#dafbe1\">✅ pass</td>",
        );
        check(
            "<td>❌ fail</td>",
            "<td style=\"border:1px solid #d0d7de;padding:5px 9px;vertical-align:top;color:#a40e26;background:#ffebe9\">❌ fail</td>",
        );
        check(
            "<li><strong>Status:</strong> ⚠️ Issues Detected</li>",
            "<li style=\"margin:2px 0;color:#7d4e00;font-weight:600\"><strong>Status:</strong> ⚠️ Issues Detected</li>",
        );
        check(
            "<a href=\"https://x.org/\">x</a>",
            "<a href=\"https://x.org/\" style=\"color:#0969da;text-decoration:underline\">x</a>",
        );
        check(
            "<li><input disabled=\"\" type=\"checkbox\" checked=\"\"/>\ndone</li>",
            "<li style=\"margin:2px 0\">☑\ndone</li>",
        );
        check(
            "<li><input disabled=\"\" type=\"checkbox\"/>\nopen</li>",
            "<li style=\"margin:2px 0\">☐\nopen</li>",
        );
        // Unknown tags are left alone, and so is a lone `<` (never written by the renderer).
        check("<em>x</em> a < b", "<em>x</em> a < b");
    }

    #[test]
    fn subject_line_is_not_in_the_body() {
        assert_eq!(body_markdown("Subject: x\n\n- a\n"), "- a\n");
        assert_eq!(body_markdown("- a\n"), "- a\n");
        assert_eq!(body_markdown(""), "");
    }

    #[test]
    fn the_document_has_no_script_or_remote_resource() {
        let doc = email_document(
            "[CANARY] <b>&",
            "Subject: x\n\n# <script>alert(1)</script>\n\n![i](https://x.org/i.png)\n\n| a |\n|---|\n| <img src=x> |\n",
        );
        assert!(doc.contains("<title>[CANARY] &lt;b&gt;&amp;</title>"));
        for forbidden in [
            "<script", "<img", "<link", "<style", "<iframe", " src=\"", "url(",
        ] {
            assert!(!doc.contains(forbidden), "{forbidden} in {doc}");
        }
    }
}
