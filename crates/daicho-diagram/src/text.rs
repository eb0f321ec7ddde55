//! Text that goes into a drawing: made safe and bounded once, when a label is made.

use daicho_model::display_text::is_hidden_or_control;

/// The most characters a device or group label shows; longer ones end in `…`.
pub const LABEL_MAX_CHARS: usize = 28;

/// The most characters of the facility name in the title block.
pub const TITLE_MAX_CHARS: usize = 40;

/// `text` as a one-line label of at most `max` characters: control and invisible format
/// characters (bidi overrides, zero-width joiners) become spaces, runs of white space one
/// space, and what is longer ends in `…`. XML escaping is the SVG writer's.
pub fn label(text: &str, max: usize) -> String {
    let clean: String = text
        .chars()
        .map(|c| if is_hidden_or_control(c) { ' ' } else { c })
        .collect();
    let one_line = clean.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= max {
        return one_line;
    }
    one_line
        .chars()
        .take(max.saturating_sub(1))
        .collect::<String>()
        + "…"
}

/// The width of `text` in ems as the layout reckons it: wide (CJK, full-width) characters 1,
/// others 0.6; both outputs draw with a CJK sans-serif face whose Latin is narrower, so the
/// estimate errs wide.
pub fn width_em(text: &str) -> f32 {
    text.chars()
        .map(|c| if is_wide(c) { 1.0 } else { 0.6 })
        .sum()
}

/// `text` shortened with `…` until it is at most `max_em` wide.
pub fn fit(text: &str, max_em: f32) -> String {
    if width_em(text) <= max_em {
        return text.to_owned();
    }
    let mut out = String::new();
    let mut w = 1.0; // the `…`
    for c in text.chars() {
        let cw = if is_wide(c) { 1.0 } else { 0.6 };
        if w + cw > max_em {
            break;
        }
        w += cw;
        out.push(c);
    }
    out + "…"
}

/// East Asian wide and full-width characters, roughly: what a CJK face draws one em wide.
fn is_wide(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF |
        0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_removes_controls_and_bidi_and_bounds_the_length() {
        assert_eq!(label("  pc\u{1b}[31m-01\u{202e}  x\n", 28), "pc [31m-01 x");
        assert_eq!(label("あいうえおかきくけこ", 5), "あいうえ…");
        assert_eq!(label("abc", 3), "abc");
        assert_eq!(label("abcd", 3), "ab…");
        assert_eq!(label("", 3), "");
    }

    proptest::proptest! {
        /// A label is one line of at most `max` characters with no control or invisible
        /// format character, whatever it was made from.
        #[test]
        fn a_label_is_bounded_and_visible(text in "\\PC{0,80}|[\\x00-\\x1f\u{202e}\u{200b} a-zあ]{0,80}", max in 1usize..40) {
            let out = label(&text, max);
            proptest::prop_assert!(out.chars().count() <= max);
            proptest::prop_assert!(!out.chars().any(is_hidden_or_control));
            proptest::prop_assert_eq!(out.trim(), out.as_str());
        }
    }

    #[test]
    fn width_counts_wide_characters_as_one_em() {
        assert!((width_em("診療a") - 2.6).abs() < 1e-6);
        assert_eq!(fit("ネットワーク構成図", 4.0), "ネット…");
        assert_eq!(fit("ab", 4.0), "ab");
    }
}
