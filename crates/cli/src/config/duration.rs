//! Durations in the configuration: `"30s"`, `"15m"`, `"1h"`, `"1d"` (any
//! `humantime` form, such as `"1h 30m"`), or `"off"`.

use std::time::Duration;

/// Reads a duration; `"off"` is `None`.
pub(crate) fn parse(text: &str) -> Result<Option<Duration>, String> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    humantime::parse_duration(text).map(Some).map_err(|e| {
        format!(
            "{text:?} is not a duration such as \"30s\", \"15m\", \"1h\", \"1d\" or \"off\" ({e})"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_in_the_forms_the_readme_shows() {
        let secs = |s: &str| parse(s).unwrap().map(|d| d.as_secs());
        assert_eq!(secs("30s"), Some(30));
        assert_eq!(secs("15m"), Some(900));
        assert_eq!(secs("1h"), Some(3600));
        assert_eq!(secs("1d"), Some(86_400));
        assert_eq!(secs("1h 30m"), Some(5400));
        assert_eq!(secs("0s"), Some(0));
        assert_eq!(secs("off"), None);
        assert_eq!(secs(" OFF "), None);
    }

    #[test]
    fn a_bad_duration_says_what_is_expected() {
        for bad in ["", "soon", "15", "-1h", "1 fortnight"] {
            let e = parse(bad).unwrap_err();
            assert!(e.contains("is not a duration such as"), "{bad}: {e}");
        }
    }
}
