//! Console form bodies (`application/x-www-form-urlencoded`), read field by field so that
//! repeated fields (checkbox groups) and blank fields are both kept; and where a form may send
//! the browser back to.

use std::borrow::Cow;

/// A posted form's fields, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct FormFields(Vec<(String, String)>);

impl FormFields {
    /// Parses a form body; each value is trimmed.
    pub(crate) fn parse(body: &[u8]) -> Self {
        Self(
            form_urlencoded::parse(body)
                .map(|(k, v): (Cow<'_, str>, Cow<'_, str>)| (k.into_owned(), v.trim().to_owned()))
                .collect(),
        )
    }

    /// The first value of `name`, if the form has the field.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every non-blank value of `name` (a checkbox group).
    /// The value of `name` among `options` (name, value); absent or blank is the first. Any
    /// other is a 400 naming `what` and the names offered.
    pub(crate) fn choice<T: Copy>(
        &self,
        name: &str,
        what: &str,
        options: &[(&str, T)],
    ) -> Result<T, super::render::ConsoleError> {
        let given = self.get(name).unwrap_or("");
        if given.is_empty()
            && let Some((_, first)) = options.first()
        {
            return Ok(*first);
        }
        options
            .iter()
            .find(|(n, _)| *n == given)
            .map(|(_, v)| *v)
            .ok_or_else(|| {
                let names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
                super::render::ConsoleError::new(
                    axum::http::StatusCode::BAD_REQUEST,
                    format!(
                        "{what}「{given}」は選べません（{}）。",
                        names.join(" または ")
                    ),
                )
            })
    }

    pub(crate) fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(k, v)| k == name && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }
}

/// Only a path on this server may be gone to after a form or a login (no open redirect).
pub(crate) fn local_path(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') {
        next
    } else {
        "/"
    }
}

/// The form's `back` field when it is a local path, else `default`.
pub(crate) fn back_to(form: &FormFields, default: &str) -> String {
    match form.get("back") {
        Some(b) if !b.is_empty() && local_path(b) == b => b.to_owned(),
        _ => default.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_and_blank_fields_are_kept() {
        let f = FormFields::parse(b"mac=aa&mac=bb&mac=&asset_no=+&user=%E5%B1%B1%E7%94%B0");
        assert_eq!(f.all("mac").collect::<Vec<_>>(), vec!["aa", "bb"]);
        assert_eq!(f.get("asset_no"), Some(""));
        assert_eq!(f.get("user"), Some("山田"));
        assert_eq!(f.get("missing"), None);
    }

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(local_path("/devices/3"), "/devices/3");
        assert_eq!(local_path("//evil.example/"), "/");
        assert_eq!(local_path("https://evil.example/"), "/");
        assert_eq!(local_path("/\\evil"), "/");
        let f = FormFields::parse(b"back=https%3A%2F%2Fevil.example");
        assert_eq!(back_to(&f, "/triage"), "/triage");
        let f = FormFields::parse(b"back=%2Ftriage%3Fpage%3D2");
        assert_eq!(back_to(&f, "/"), "/triage?page=2");
    }
}
