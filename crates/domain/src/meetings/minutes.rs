//! The safe subset of HTML that minutes are kept in.
//!
//! Minutes are written as rich text and stored sanitised: paragraphs, line
//! breaks, bold, italics, lists, links (http, https and mailto only, opened
//! with `rel="noopener noreferrer"`), third- and fourth-level headings and
//! quotations. Everything else is stripped: unknown tags are dropped with
//! their text kept, `script` and `style` are removed with their content, and
//! every attribute but a link's `href` goes (event handlers among them), as do
//! `javascript:` and relative links.

use std::collections::HashSet;

/// The longest minutes accepted, in characters of the submitted HTML.
pub const MAX_MINUTES: usize = 100_000;

/// Tags minutes may hold.
pub const ALLOWED_TAGS: &[&str] = &[
    "p",
    "br",
    "strong",
    "em",
    "ul",
    "ol",
    "li",
    "a",
    "h3",
    "h4",
    "blockquote",
];

/// Minutes made safe: only [`ALLOWED_TAGS`], links to http, https and mailto.
pub fn sanitise(html: &str) -> String {
    let tags: HashSet<&str> = ALLOWED_TAGS.iter().copied().collect();
    let mut b = ammonia::Builder::empty();
    b.tags(tags)
        .add_tag_attributes("a", ["href"])
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .url_relative(ammonia::UrlRelative::Deny)
        .link_rel(Some("noopener noreferrer"))
        .clean_content_tags(["script", "style"].into_iter().collect())
        .strip_comments(true);
    b.clean(html).to_string().trim().to_string()
}

/// Whether sanitised minutes say nothing (only tags and white space).
pub fn is_blank(html: &str) -> bool {
    let text = ammonia::Builder::empty()
        .tags(HashSet::new())
        .clean(html)
        .to_string();
    text.trim().is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_go_with_their_content() {
        let s = sanitise("<p>Budget agreed.</p><script>alert('x')</script><style>p{}</style>");
        assert_eq!(s, "<p>Budget agreed.</p>");
    }

    #[test]
    fn event_handlers_go() {
        let s = sanitise(r#"<p onclick="steal()">Hi <img src=x onerror="alert(1)"></p>"#);
        assert_eq!(s, "<p>Hi </p>");
        assert!(!s.contains("onerror"));
    }

    #[test]
    fn javascript_links_lose_their_href() {
        let s = sanitise(r#"<a href="javascript:alert(1)">click</a>"#);
        assert!(!s.contains("javascript"), "{s}");
        assert!(s.contains("click"));
        let s = sanitise(r#"<a href="JaVaScRiPt:alert(1)">x</a><a href="/relative">y</a>"#);
        assert!(!s.to_ascii_lowercase().contains("javascript"), "{s}");
        assert!(!s.contains("/relative"), "{s}");
    }

    #[test]
    fn safe_links_keep_their_href_and_get_a_rel() {
        let s = sanitise(r#"<a href="https://example.org/x" target="_blank">report</a>"#);
        assert_eq!(
            s,
            r#"<a href="https://example.org/x" rel="noopener noreferrer">report</a>"#
        );
        let s = sanitise(r#"<a href="mailto:forum@example.org">mail</a>"#);
        assert!(s.contains(r#"href="mailto:forum@example.org""#));
    }

    #[test]
    fn the_subset_stays_and_the_rest_keeps_its_text() {
        let s = sanitise(
            "<h3>Item</h3><h4>Sub</h4><blockquote><p><strong>a</strong> <em>b</em><br></p></blockquote><ul><li>1</li></ul><ol><li>2</li></ol>",
        );
        assert_eq!(
            s,
            "<h3>Item</h3><h4>Sub</h4><blockquote><p><strong>a</strong> <em>b</em><br></p></blockquote><ul><li>1</li></ul><ol><li>2</li></ol>"
        );
        let s = sanitise(
            r#"<h1 style="color:red">Title</h1><div class="x"><span>text</span></div><iframe src="https://x"></iframe>"#,
        );
        assert_eq!(s, "Titletext");
    }

    #[test]
    fn blank_minutes_are_seen() {
        assert!(is_blank("<p> </p><br>"));
        assert!(is_blank(&sanitise("<script>x</script>")));
        assert!(!is_blank("<p>a</p>"));
    }
}
